import { Link } from 'react-router';
import { usePageTitle } from '../components/Layout.js';

export function NotFoundPage() {
  usePageTitle('Page not found');
  return (
    <section className="stack">
      <h1>Page not found</h1>
      <p>There is no page at this address. It may have moved, or the link may be mistyped.</p>
      <p>
        <Link to="/">Go to your start page</Link>
      </p>
    </section>
  );
}
