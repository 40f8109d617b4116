import { LoaderCircle } from 'lucide-react';

/** A wait, said in words: what is being loaded. */
export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="loading" role="status" aria-busy="true" aria-live="polite">
      <LoaderCircle className="spin" aria-hidden="true" />
      <span>{label}</span>
    </p>
  );
}
