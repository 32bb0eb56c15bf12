/**
 * The weekly schedule as a 7 × 24 grid of hour cells (in the lead's local time). Ranges that do
 * not fall on whole hours are shown rounded out; editing writes whole-hour ranges.
 */
import { DAYS, type Day, type Range, type Schedule } from '../types.ts';

const HOURS = Array.from({ length: 24 }, (_, h) => h);
const DAY_LABEL: Record<Day, string> = { monday: 'Mon', tuesday: 'Tue', wednesday: 'Wed', thursday: 'Thu', friday: 'Fri', saturday: 'Sat', sunday: 'Sun' };

function hoursOf(ranges: Range[]): Set<number> {
  const on = new Set<number>();
  for (const r of ranges) for (let h = Math.floor(r.start / 60); h * 60 < r.end; h++) on.add(h);
  return on;
}

function rangesOf(hours: Set<number>): Range[] {
  const out: Range[] = [];
  for (const h of HOURS) {
    if (!hours.has(h)) continue;
    const last = out[out.length - 1];
    if (last && last.end === h * 60) last.end = (h + 1) * 60;
    else out.push({ start: h * 60, end: (h + 1) * 60 });
  }
  return out;
}

export function ScheduleGrid({ schedule, onChange, disabled }: { schedule: Schedule; onChange: (s: Schedule) => void; disabled?: boolean }) {
  const set = (days: Day[], hours: number[]) => {
    const next = { ...schedule };
    for (const d of DAYS) next[d] = days.includes(d) ? rangesOf(new Set(hours)) : [];
    onChange(next);
  };
  const toggle = (day: Day, hour: number) => {
    const on = hoursOf(schedule[day] ?? []);
    if (on.has(hour)) on.delete(hour);
    else on.add(hour);
    onChange({ ...schedule, [day]: rangesOf(on) });
  };
  const nine = HOURS.filter((h) => h >= 9 && h < 20);
  return (
    <div className="schedule">
      <div className="presets" role="group" aria-label="Schedule presets">
        <button type="button" disabled={disabled} onClick={() => set(DAYS.slice(0, 5), nine)}>Weekdays 9:00–20:00</button>
        <button type="button" disabled={disabled} onClick={() => set(DAYS, nine)}>Every day 9:00–20:00</button>
        <button type="button" disabled={disabled} onClick={() => set(DAYS, HOURS)}>Around the clock</button>
        <button type="button" disabled={disabled} onClick={() => set([], [])}>Clear</button>
      </div>
      <table className="schedule-grid" aria-label="Sending hours in the lead's local time">
        <thead>
          <tr>
            <td />
            {HOURS.map((h) => <th key={h} scope="col" className="hour">{h % 3 === 0 ? h : ''}<span className="sr-only">{h}:00</span></th>)}
          </tr>
        </thead>
        <tbody>
          {DAYS.map((d) => {
            const on = hoursOf(schedule[d] ?? []);
            return (
              <tr key={d}>
                <th scope="row">{DAY_LABEL[d]}</th>
                {HOURS.map((h) => (
                  <td key={h}>
                    <button
                      type="button"
                      className={on.has(h) ? 'cell on' : 'cell'}
                      aria-pressed={on.has(h)}
                      aria-label={`${DAY_LABEL[d]} ${h}:00–${h + 1}:00`}
                      disabled={disabled}
                      onClick={() => toggle(d, h)}
                    />
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
