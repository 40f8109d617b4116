import { Inbox } from 'lucide-react';
import type { ReactNode } from 'react';

/** Nothing to show yet, and (as children) what the reader can do about it: a link or a button. */
export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <Inbox className="empty-icon" aria-hidden="true" />
      <p className="empty-title">{title}</p>
      {children && <div className="empty-body">{children}</div>}
    </div>
  );
}
