/**
 * One campaign message: a textarea with a token picker, the segment counter, and a live preview
 * rendered against a sample lead (as plain text). Missing tokens are flagged: they render empty.
 */
import { useRef } from 'react';
import { countSegments } from '../../../../server/src/core/segments.ts';
import { missingTokens, renderTemplate } from '../../../../server/src/core/template.ts';

export function MessageField(props: {
  id: string; label: string; hint?: string; value: string; tokens: string[]; sample: Record<string, unknown>;
  disabled?: boolean; onChange: (v: string) => void;
}) {
  const ref = useRef<HTMLTextAreaElement>(null);
  const seg = countSegments(props.value);
  const missing = missingTokens(props.value, Object.keys(props.sample));
  const preview = renderTemplate(props.value, props.sample);
  const previewSeg = countSegments(preview);

  const insert = (token: string) => {
    if (!token) return;
    const el = ref.current;
    const text = `{{${token}}}`;
    const start = el?.selectionStart ?? props.value.length;
    const end = el?.selectionEnd ?? props.value.length;
    props.onChange(props.value.slice(0, start) + text + props.value.slice(end));
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(start + text.length, start + text.length);
    });
  };

  return (
    <div className="message-field">
      <div className="field-head">
        <label htmlFor={props.id}>{props.label}</label>
        <select aria-label={`Insert a token into ${props.label}`} value="" disabled={props.disabled} onChange={(e) => insert(e.currentTarget.value)}>
          <option value="">Insert token…</option>
          {props.tokens.map((t) => <option key={t} value={t}>{`{{${t}}}`}</option>)}
        </select>
      </div>
      {props.hint && <p className="muted small">{props.hint}</p>}
      <textarea id={props.id} ref={ref} rows={3} maxLength={1600} value={props.value} disabled={props.disabled} onChange={(e) => props.onChange(e.currentTarget.value)} />
      <p className="counter small" aria-live="polite" data-testid={`${props.id}-counter`}>
        {seg.characters} characters · {seg.segments} {seg.segments === 1 ? 'segment' : 'segments'} · {seg.encoding}
        {seg.encoding === 'UCS-2' && <span className="warn"> (a character outside GSM-7 makes every segment hold 70/67)</span>}
      </p>
      {missing.length > 0 && (
        <p className="warn small" role="status">
          Not a column of the sample lead: {missing.map((t) => `{{${t}}}`).join(', ')} — renders empty for leads without it.
        </p>
      )}
      {props.value && (
        <div className="preview" aria-label={`${props.label} preview`}>
          <div className="bubble out">{preview}</div>
          <span className="muted small">Preview · {previewSeg.segments} {previewSeg.segments === 1 ? 'segment' : 'segments'}</span>
        </div>
      )}
    </div>
  );
}
