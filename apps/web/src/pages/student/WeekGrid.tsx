import type { EventContentArg, EventInput } from '@fullcalendar/core';
import enGbLocale from '@fullcalendar/core/locales/en-gb';
import luxonPlugin from '@fullcalendar/luxon3';
import FullCalendar from '@fullcalendar/react';
import timeGridPlugin from '@fullcalendar/timegrid';
import { DateTime } from 'luxon';
import { useSyncExternalStore } from 'react';
import { type OpenSlot, SlotButton } from './shared.js';

/** Wide enough for seven day columns with readable times; narrower screens get a list per day. */
const wideScreen = '(min-width: 56rem)';

function subscribeToWidth(onChange: () => void): () => void {
  if (typeof window.matchMedia !== 'function') return () => {};
  const query = window.matchMedia(wideScreen);
  query.addEventListener('change', onChange);
  return () => query.removeEventListener('change', onChange);
}

/** Whether the week grid fits; false where the browser cannot tell (then the list is shown). */
export function useWideScreen(): boolean {
  return useSyncExternalStore(
    subscribeToWidth,
    () => typeof window.matchMedia === 'function' && window.matchMedia(wideScreen).matches,
    () => false,
  );
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function clock(minutes: number): string {
  const hours = Math.floor(minutes / 60);
  return `${String(hours).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}:00`;
}

/**
 * The week's open start times on a FullCalendar week grid in `zone`, Monday to Sunday. Each start
 * is drawn one grid step tall, not as long as the session: starts a quarter hour apart would
 * otherwise overlap and squeeze each other into slivers. Each is a real button, named as in lists.
 */
export function WeekGrid({
  slots,
  zone,
  monday,
  verb,
  onChoose,
}: {
  slots: readonly OpenSlot[];
  zone: string;
  monday: string;
  verb: string;
  onChoose: (slot: OpenSlot) => void;
}) {
  const starts = slots.map((slot) => DateTime.fromISO(slot.start, { setZone: true }).setZone(zone));
  // The grid step is what all starts share: quarter hours give 15, half hours 30.
  const step = starts.reduce((shared, start) => gcd(shared, start.minute), 60);
  const minutesOfDay = starts.map((start) => start.hour * 60 + start.minute);
  const first = Math.floor(Math.min(...minutesOfDay) / 60) * 60;
  const last = Math.min(24 * 60, Math.ceil((Math.max(...minutesOfDay) + step) / 60) * 60);

  const events: EventInput[] = slots.map((slot, index) => ({
    id: slot.start,
    start: slot.start,
    end: starts[index]?.plus({ minutes: step }).toISO() ?? slot.start,
    extendedProps: { slot },
    classNames: ['slot-event'],
  }));

  return (
    <div className="week-grid">
      <FullCalendar
        // A new week or zone starts a new calendar: FullCalendar reads initialDate only once.
        key={`${monday}|${zone}`}
        plugins={[timeGridPlugin, luxonPlugin]}
        locale={enGbLocale}
        initialView="timeGridWeek"
        initialDate={monday}
        timeZone={zone}
        firstDay={1}
        headerToolbar={false}
        allDaySlot={false}
        height="auto"
        slotDuration={clock(step)}
        slotLabelInterval="01:00:00"
        slotMinTime={clock(first)}
        slotMaxTime={clock(last)}
        slotLabelFormat={{ hour: '2-digit', minute: '2-digit', hour12: false }}
        dayHeaderFormat={{ weekday: 'short', day: 'numeric', month: 'short', omitCommas: true }}
        nowIndicator={false}
        editable={false}
        selectable={false}
        events={events}
        eventContent={(arg: EventContentArg) => (
          <SlotButton
            slot={arg.event.extendedProps.slot as OpenSlot}
            zone={zone}
            verb={verb}
            onChoose={onChoose}
          />
        )}
      />
    </div>
  );
}
