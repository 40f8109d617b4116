import { CircleAlert } from 'lucide-react';
import { describeError } from '../errors.js';

/**
 * An error as a sentence and what to do next, announced to screen readers as it appears. Pass
 * `onRetry` when trying again can help (a query that failed), and it shows a "Try again" button.
 */
export function ErrorNotice({
  error,
  onRetry,
  retryLabel = 'Try again',
}: {
  error: unknown;
  onRetry?: () => void;
  retryLabel?: string;
}) {
  const described = describeError(error);
  return (
    <div className="notice notice-error" role="alert" data-code={described.code}>
      <CircleAlert className="notice-icon" aria-hidden="true" />
      <div className="notice-body">
        <p className="notice-message">{described.message}</p>
        <p>{described.next}</p>
        {described.fields && (
          <ul className="notice-fields">
            {described.fields.map((field) => (
              <li key={`${field.path}:${field.message}`}>{field.message}</li>
            ))}
          </ul>
        )}
        {onRetry && (
          <button type="button" className="button button-secondary" onClick={onRetry}>
            {retryLabel}
          </button>
        )}
      </div>
    </div>
  );
}
