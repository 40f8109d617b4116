import { isRouteErrorResponse, Link, useRouteError } from 'react-router';

/** Shown instead of a page that failed to load or to render; the header stays usable above it. */
export function RouteErrorPage() {
  const error = useRouteError();
  const missing = isRouteErrorResponse(error) && error.status === 404;
  return (
    <section className="stack" role="alert">
      <h1>{missing ? 'Page not found' : 'This page could not be shown'}</h1>
      <p>
        {missing
          ? 'There is no page at this address.'
          : 'Something went wrong while opening it, perhaps because the app was updated meanwhile.'}
      </p>
      <p className="actions">
        <button type="button" className="button button-primary" onClick={() => window.location.reload()}>
          Reload the page
        </button>
        <Link to="/">Go to your start page</Link>
      </p>
    </section>
  );
}
