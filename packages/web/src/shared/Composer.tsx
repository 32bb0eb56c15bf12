/**
 * The reply box: a labelled textarea, a live character / SMS-segment count with the encoding
 * the message will go out in (GSM-7: 160 per SMS, 153 per part; UCS-2: 70 / 67), Enter to send
 * and Shift+Enter for a new line. Disabled with a reason (e.g. the lead opted out).
 */
import { useId, useState, type FormEvent, type KeyboardEvent } from 'react';
import { countSegments } from './segments.ts';
import './engage.css';

/** The server refuses longer messages (conversations/agent.ts). */
export const MAX_MESSAGE_LENGTH = 1600;

export interface ComposerProps {
  /** Sends the text; rejects with an Error whose message is shown. */
  onSend: (text: string) => Promise<void>;
  /** When set, the composer is disabled and this says why. */
  disabledReason?: string | null;
  label?: string;
  placeholder?: string;
}

export function Composer({ onSend, disabledReason = null, label = 'Reply', placeholder = 'Write a reply…' }: ComposerProps) {
  const [text, setText] = useState('');
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const id = useId();
  const count = countSegments(text);
  const tooLong = text.length > MAX_MESSAGE_LENGTH;
  const disabled = disabledReason !== null;
  const canSend = !disabled && !sending && text.trim() !== '' && !tooLong;

  async function submit(e?: FormEvent) {
    e?.preventDefault();
    if (!canSend) return;
    setSending(true);
    setError(null);
    try {
      await onSend(text);
      setText('');
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setSending(false);
    }
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void submit();
    }
  }

  const segmentWord = count.segments > 1 ? 'SMS parts' : 'SMS';
  return (
    <form className="eg-composer" onSubmit={submit} aria-label="Reply to the lead">
      <label htmlFor={`${id}-text`} className="eg-sr">
        {label}
      </label>
      {disabled && (
        <p className="eg-composer-disabled" id={`${id}-disabled`}>
          {disabledReason}
        </p>
      )}
      <textarea
        id={`${id}-text`}
        name="message"
        value={text}
        onChange={(e) => setText(e.currentTarget.value)}
        onKeyDown={onKeyDown}
        placeholder={disabled ? 'Messaging is off for this lead' : placeholder}
        disabled={disabled}
        readOnly={sending}
        rows={2}
        aria-describedby={`${id}-count ${id}-hint${disabled ? ` ${id}-disabled` : ''}`}
        aria-invalid={tooLong || undefined}
      />
      <div className="eg-composer-bar">
        <p className="eg-count" id={`${id}-count`} aria-live="polite" data-encoding={count.encoding} data-segments={count.segments}>
          <span>{`${count.characters} / ${count.segments <= 1 ? count.perSegment : count.segments * count.perSegment}`}</span>
          <span>{` · ${count.segments} ${segmentWord}`}</span>
          {' '}
          <span className={`eg-encoding${count.encoding === 'UCS-2' ? ' eg-encoding-ucs2' : ''}`} title={count.encoding === 'UCS-2' ? 'A character outside the GSM alphabet (emoji, curly quotes…) makes every SMS hold 70 characters (67 when split)' : 'Plain GSM-7 text: 160 characters per SMS (153 when split)'}>
            {count.encoding}
          </span>
          {tooLong && <span className="eg-error">{` · too long (max ${MAX_MESSAGE_LENGTH})`}</span>}
        </p>
        <p className="eg-sr" id={`${id}-hint`}>
          Enter sends; Shift+Enter starts a new line.
        </p>
        <button type="submit" className="eg-button eg-primary" disabled={!canSend} aria-busy={sending || undefined}>
          {sending ? 'Sending…' : 'Send'}
        </button>
      </div>
      {error && (
        <p className="eg-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
