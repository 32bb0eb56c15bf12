/**
 * A conversation's messages as a chat thread: the lead on the left, us on the right, a day
 * separator between days, each message's time and delivery status. Message text is untrusted
 * and rendered only as text (React text nodes), wrapped so it cannot break the layout.
 */
import { Fragment, useEffect, useRef } from 'react';
import { deliveryLabel, formatDay, formatDateTime, formatTime, isFailedStatus, sameDay } from './format.ts';
import './engage.css';

export interface ThreadMessage {
  id: string;
  direction: 'INBOUND' | 'OUTBOUND';
  timestamp: string;
  message: string;
  sender: string;
  /** Outbound delivery status (QUEUED, SENT, DELIVERED, UNDELIVERED, FAILED…). */
  status?: string;
  statusMessage?: string | null;
  /** Media of an inbound MMS (URL and content type), shown as links; never loaded inline. */
  media?: { url: string; contentType: string | null }[];
}

/** Only http(s) links are shown: a media URL comes from the network. */
const safeMedia = (media: ThreadMessage['media']) => (media ?? []).filter((x) => /^https?:\/\//i.test(x.url));

function mediaLabel(contentType: string | null): string {
  const kind = contentType?.split('/')[0];
  return kind === 'image' ? 'Picture' : kind === 'video' ? 'Video' : kind === 'audio' ? 'Audio' : 'Attachment';
}

export interface ThreadProps {
  messages: ThreadMessage[];
  /** Who "they" are, for screen readers: "Kim Doe". */
  leadLabel: string;
  emptyText?: string;
}

export function Thread({ messages, leadLabel, emptyText = 'No messages yet.' }: ThreadProps) {
  const end = useRef<HTMLLIElement>(null);
  const last = messages[messages.length - 1]?.id;
  useEffect(() => {
    end.current?.scrollIntoView({ block: 'end' });
  }, [last]);

  return (
    <ol className="eg-thread" role="log" aria-live="polite" aria-relevant="additions" aria-label={`Conversation with ${leadLabel}`}>
      {messages.length === 0 && <li className="eg-thread-empty">{emptyText}</li>}
      {messages.map((m, i) => {
        const prev = messages[i - 1];
        const ours = m.direction === 'OUTBOUND';
        const failed = ours && isFailedStatus(m.status);
        const who = ours ? 'You' : leadLabel;
        const media = safeMedia(m.media);
        // A picture without text carries its URLs as its text (the contract's fallback): links suffice.
        const text = media.length > 0 && m.message === media.map((x) => x.url).join('\n') ? '' : m.message;
        return (
          <Fragment key={m.id}>
            {(!prev || !sameDay(prev.timestamp, m.timestamp)) && (
              <li className="eg-day" aria-hidden="true">
                <span>{formatDay(m.timestamp)}</span>
              </li>
            )}
            <li className={`eg-msg ${ours ? 'eg-out' : 'eg-in'}${failed ? ' eg-failed' : ''}`} data-message-id={m.id} data-direction={m.direction}>
              <span className="eg-sr">{`${who}, ${formatDateTime(m.timestamp)}: `}</span>
              <div className="eg-bubble">
                {text}
                {media.length > 0 && (
                  <ul className="eg-media">
                    {media.map((x, j) => (
                      <li key={j}>
                        <a href={x.url} target="_blank" rel="noopener noreferrer nofollow" referrerPolicy="no-referrer">
                          {mediaLabel(x.contentType)}
                          {x.contentType ? ` (${x.contentType})` : ''}
                        </a>
                      </li>
                    ))}
                  </ul>
                )}
              </div>
              <div className="eg-meta">
                <time dateTime={m.timestamp} title={formatDateTime(m.timestamp)}>
                  {formatTime(m.timestamp)}
                </time>
                {ours && m.status && (
                  <span className={`eg-status eg-status-${m.status.toLowerCase()}`} data-status={m.status} title={m.statusMessage ?? undefined}>
                    {deliveryLabel(m.status)}
                    {failed && m.statusMessage ? ` — ${m.statusMessage}` : ''}
                  </span>
                )}
              </div>
            </li>
          </Fragment>
        );
      })}
      <li ref={end} className="eg-thread-end" aria-hidden="true" />
    </ol>
  );
}
