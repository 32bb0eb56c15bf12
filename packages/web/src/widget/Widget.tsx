/**
 * The embeddable agent widget: who the lead is, the live thread, the reply composer and the
 * disposition picker, or a clear reason why the agent cannot text (opted out, do not contact,
 * invalid link). Built to sit in an <iframe> of any size down to a phone's.
 */
import { useEffect, useState } from 'react';
import { api } from '../shared/api.ts';
import { Composer } from '../shared/Composer.tsx';
import { formatDateTime, formatPhone, initials, leadName } from '../shared/format.ts';
import { Thread, type ThreadMessage } from '../shared/Thread.tsx';
import { DispositionPicker } from './DispositionPicker.tsx';
import type { WidgetState } from './types.ts';
import { useConversation } from './useConversation.ts';
import './widget.css';

function suppressionText(s: NonNullable<WidgetState['suppression']>, who: string): { title: string; detail: string; short: string } {
  if (s.kind === 'OPT_OUT') {
    return {
      title: `${who} opted out`,
      detail: `They replied STOP on ${formatDateTime(s.since)}. Texting is turned off; they can opt back in by replying START.`,
      short: 'This lead opted out (replied STOP): messages cannot be sent.',
    };
  }
  return {
    title: 'Do not contact',
    detail: `This number was put on the do-not-contact list on ${formatDateTime(s.since)}. Texting is turned off.`,
    short: 'This number is on the do-not-contact list: messages cannot be sent.',
  };
}

export interface WidgetProps {
  conversationKey: string;
  /**
   * Inside another page (the console's inbox): a <section> with an h2 instead of the page's
   * <main> and h1. Default false.
   */
  embedded?: boolean;
}

export function Widget({ conversationKey, embedded = false }: WidgetProps) {
  const conv = useConversation(conversationKey);
  const Root = embedded ? 'section' : 'main';
  const Title = embedded ? 'h2' : 'h1';
  const current = conv.state?.data.lead;
  const tabTitle = current ? (leadName(current.leadData) ?? formatPhone(current.phone)) : null;
  useEffect(() => {
    // The page's own tab says whose conversation it is; inside the console the console decides.
    if (!embedded && tabTitle) document.title = `${tabTitle} · Engage`;
  }, [embedded, tabTitle]);
  const [announce, setAnnounce] = useState('');
  const q = `?key=${encodeURIComponent(conversationKey)}`;

  if (conv.phase === 'loading') {
    return (
      <Root className="eg-w eg-w-center" aria-busy="true">
        <p role="status">Loading conversation…</p>
      </Root>
    );
  }
  if (conv.phase === 'invalid') {
    return (
      <Root className="eg-w eg-w-center">
        <Title>Conversation unavailable</Title>
        <p>This conversation link is invalid or has been revoked. Ask for a new link.</p>
      </Root>
    );
  }
  if (conv.phase === 'error' || !conv.state) {
    return (
      <Root className="eg-w eg-w-center">
        <Title>Could not load the conversation</Title>
        <p role="alert">{conv.error}</p>
        <button type="button" className="eg-button" onClick={() => void conv.refresh()}>
          Try again
        </button>
      </Root>
    );
  }

  const { data, delivery, suppression, media } = conv.state;
  const name = leadName(data.lead.leadData);
  const phone = formatPhone(data.lead.phone);
  const who = name ?? phone;
  const blocked = suppression ? suppressionText(suppression, who) : null;
  const messages: ThreadMessage[] = data.messages.map((m) => ({
    ...m, status: delivery[m.id]?.status, statusMessage: delivery[m.id]?.statusMessage ?? null, media: media?.[m.id] ?? [],
  }));

  async function send(text: string) {
    await api(`/api/public/engage/conversation/send${q}`, { form: { message: text } });
    setAnnounce('Message sent.');
    await conv.refresh();
  }
  async function dispose(disposition: string) {
    await api(`/api/public/engage/conversation/disposition${q}`, { form: { disposition } });
    setAnnounce(`Disposition set to ${disposition}.`);
    await conv.refresh();
  }

  return (
    <Root className="eg-w">
      <header className="eg-w-header">
        <div className="eg-w-avatar" aria-hidden="true">
          {initials(name, '#')}
        </div>
        <div className="eg-w-who">
          <Title className="eg-w-name">{who}</Title>
          <p className="eg-w-sub" title={`${name ? `${phone} · ` : ''}${data.campaign.name}`}>
            {`${name ? `${phone} · ` : ''}${data.campaign.name}`}
          </p>
        </div>
        <p className={`eg-w-live eg-w-live-${conv.connection}`} role="status" title={conv.connection === 'live' ? 'New messages appear as they arrive' : 'Reconnecting to Engage'}>
          {conv.connection === 'live' ? 'Live' : conv.connection === 'connecting' ? 'Connecting…' : 'Reconnecting…'}
        </p>
      </header>
      {blocked && (
        <div className="eg-w-banner" role="note" aria-label="Messaging blocked" data-testid="opted-out">
          <strong>{blocked.title}</strong>
          <span>{blocked.detail}</span>
        </div>
      )}
      <Thread messages={messages} leadLabel={who} emptyText="No messages in this conversation yet." />
      <footer className="eg-w-footer">
        <Composer onSend={send} disabledReason={blocked?.short ?? null} label={`Reply to ${who}`} />
        <DispositionPicker dispositions={data.dispositions} current={data.lead.disposition} currentAt={data.lead.dispositionTimestamp} onSet={dispose} />
      </footer>
      <p className="eg-sr" role="status" aria-live="polite">
        {announce}
      </p>
    </Root>
  );
}
