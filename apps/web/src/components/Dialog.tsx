import { type ReactNode, useEffect, useId, useRef } from 'react';

/**
 * A modal dialog named by its heading. The browser's own modal <dialog> keeps focus inside, makes
 * the page behind inert and closes on Escape; focus goes back to what opened it.
 */
export function Dialog({
  title,
  onClose,
  children,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    // Browsers without modal dialogs (and jsdom) still show it, only without the inert backdrop.
    if (typeof element.showModal === 'function') {
      if (!element.open) element.showModal();
    } else {
      element.setAttribute('open', '');
    }
    return () => {
      if (typeof element.close === 'function' && element.open) element.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  return (
    <dialog
      ref={dialog}
      className="modal"
      aria-labelledby={titleId}
      onCancel={(event) => {
        // Escape: the owner decides (a pending request may still be running).
        event.preventDefault();
        onClose();
      }}
    >
      <div className="modal-body stack">
        <h2 id={titleId}>{title}</h2>
        {children}
      </div>
    </dialog>
  );
}
