import { DateTime } from 'luxon';

/**
 * Hands a text to the browser as a file download. The text is already here (fetched through the
 * tRPC client, which carries the sign-in a plain link to the API could not), so it goes as a Blob.
 */
export function saveTextFile(text: string, filename: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The download reads the URL after this task ends; revoking at once can cancel it in some browsers.
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

/** Saves a document as an indented JSON file, readable in any text editor. */
export function saveJsonFile(data: unknown, filename: string): void {
  saveTextFile(`${JSON.stringify(data, null, 2)}\n`, filename, 'application/json');
}

/** The calendar day of an instant in a zone, for file names: "2026-11-28". */
export function fileDate(iso: string, zone: string): string {
  return DateTime.fromISO(iso, { setZone: true }).setZone(zone).toISODate() ?? iso.slice(0, 10);
}
