import type { CSSProperties, ReactNode } from 'react';

/**
 * A list of checkboxes that edits one list of chosen values (a form field holding an array), kept
 * in the order the options are shown whatever order they were ticked in.
 */
export function CheckboxList<Value extends string>(props: {
  name: string;
  options: readonly Value[];
  chosen: readonly Value[];
  onChange(chosen: Value[]): void;
  onBlur(): void;
  label(option: Value): ReactNode;
  className?: string;
  style?: CSSProperties;
}) {
  const { name, options, chosen, onChange, onBlur, label } = props;
  return (
    <div className={props.className} style={props.style}>
      {options.map((option) => (
        <label key={option} className="checkbox">
          <input
            type="checkbox"
            style={{ flex: 'none' }}
            name={name}
            value={option}
            checked={chosen.includes(option)}
            onBlur={onBlur}
            onChange={(event) =>
              onChange(
                event.target.checked
                  ? options.filter((one) => one === option || chosen.includes(one))
                  : chosen.filter((one) => one !== option),
              )
            }
          />
          {label(option)}
        </label>
      ))}
    </div>
  );
}
