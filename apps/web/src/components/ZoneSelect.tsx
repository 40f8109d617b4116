import type { ComponentProps } from 'react';
import { browserZone, commonZones, zoneLabel } from '../time.js';
import { Field } from './Field.js';

export type ZoneSelectProps = Omit<ComponentProps<'select'>, 'id' | 'children'> & {
  label?: string;
  hint?: string;
  error?: string | undefined;
  /** Called with the chosen zone, besides `onChange` (handy outside react-hook-form). */
  onZoneChange?: (zone: string) => void;
};

/**
 * A labelled choice of time zone: the browser's own, the common ones and the current value. Works
 * with react-hook-form's `register('timezone')` or as a controlled select (`value` + `onZoneChange`).
 */
export function ZoneSelect({
  label = 'Time zone',
  hint,
  error,
  onZoneChange,
  onChange,
  value,
  defaultValue,
  ...selectProps
}: ZoneSelectProps) {
  const current = typeof value === 'string' ? value : typeof defaultValue === 'string' ? defaultValue : null;
  const zones = [...new Set([browserZone(), ...commonZones, ...(current ? [current] : [])])];
  return (
    <Field label={label} hint={hint} error={error}>
      {(control) => (
        <select
          {...selectProps}
          {...control}
          value={value}
          defaultValue={defaultValue}
          onChange={(event) => {
            onChange?.(event);
            onZoneChange?.(event.target.value);
          }}
        >
          {zones.map((zone) => (
            <option key={zone} value={zone}>
              {zoneLabel(zone)}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}
