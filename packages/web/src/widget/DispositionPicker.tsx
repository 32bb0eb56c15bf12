/**
 * Choose the conversation's final disposition from the campaign's list, then confirm it in a
 * modal dialog (native <dialog>: focus moves in, Escape cancels) — setting it notifies the
 * business's systems and a do-not-contact one also blocks the number.
 */
import { useEffect, useId, useRef, useState } from 'react';
import { formatDateTime } from '../shared/format.ts';
import type { ContractDisposition } from './types.ts';

export interface DispositionPickerProps {
  dispositions: ContractDisposition[];
  current: string | null;
  currentAt: string | null;
  onSet: (name: string) => Promise<void>;
}

export function DispositionPicker({ dispositions, current, currentAt, onSet }: DispositionPickerProps) {
  const id = useId();
  const [choice, setChoice] = useState('');
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const dialog = useRef<HTMLDialogElement>(null);
  const confirmButton = useRef<HTMLButtonElement>(null);
  const cancelButton = useRef<HTMLButtonElement>(null);
  const chosen = dispositions.find((d) => d.disposition === choice) ?? null;

  useEffect(() => {
    if (choice && !dispositions.some((d) => d.disposition === choice)) setChoice('');
  }, [dispositions, choice]);

  if (dispositions.length === 0) return null;

  // Focus goes to Confirm, or to Cancel when the choice also blocks the number. (Not the
  // autofocus attribute: browsers ignore it in cross-origin frames.)
  function open() {
    setError(null);
    dialog.current?.showModal();
    (chosen?.doNotContact ? cancelButton : confirmButton).current?.focus();
  }

  async function confirm() {
    if (!chosen) return;
    setSaving(true);
    setError(null);
    try {
      await onSet(chosen.disposition);
      dialog.current?.close();
      setChoice('');
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setSaving(false);
    }
  }

  return (
    <section className="eg-w-dispo" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} className="eg-w-dispo-title">
        Disposition
      </h2>
      {current && (
        <p className="eg-w-dispo-current" data-testid="current-disposition">
          <span className="eg-w-pill eg-w-pill-done">{current}</span>
          {currentAt && <span className="eg-w-dispo-when">{` set ${formatDateTime(currentAt)}`}</span>}
        </p>
      )}
      <div className="eg-w-dispo-row">
        <label htmlFor={`${id}-select`} className="eg-sr">
          {current ? 'Change the disposition' : 'Choose a disposition'}
        </label>
        <select id={`${id}-select`} className="eg-select" value={choice} onChange={(e) => setChoice(e.currentTarget.value)}>
          <option value="">{current ? 'Change disposition…' : 'Choose disposition…'}</option>
          {dispositions.map((d) => (
            <option key={d.id} value={d.disposition}>
              {d.disposition + (d.doNotContact ? ' (do not contact)' : d.success ? ' ✓' : '')}
            </option>
          ))}
        </select>
        <button type="button" className="eg-button" disabled={!chosen} onClick={open}>
          Set disposition
        </button>
      </div>
      <dialog ref={dialog} className="eg-w-dialog" aria-labelledby={`${id}-confirm`} aria-describedby={`${id}-confirm-text`}>
        <h2 id={`${id}-confirm`}>Set the final disposition?</h2>
        <p id={`${id}-confirm-text`}>
          {'This records '}
          <strong>{chosen?.disposition ?? ''}</strong>
          {' as the outcome of this conversation and notifies your systems.'}
          {chosen?.doNotContact ? ' The number is also added to the do-not-contact list: nobody in your workspace can text it again.' : ''}
        </p>
        {error && (
          <p className="eg-error" role="alert">
            {error}
          </p>
        )}
        <div className="eg-w-dialog-actions">
          <button ref={cancelButton} type="button" className="eg-button" onClick={() => dialog.current?.close()} disabled={saving}>
            Cancel
          </button>
          <button ref={confirmButton} type="button" className={`eg-button ${chosen?.doNotContact ? 'eg-danger' : 'eg-primary'}`} onClick={() => void confirm()} disabled={saving}>
            {saving ? 'Saving…' : `Confirm ${chosen?.disposition ?? ''}`}
          </button>
        </div>
      </dialog>
    </section>
  );
}
