/**
 * The admin page's actions on a user (disconnect, unsubscribe from a channel), sent through the admin API with
 * the admin key; the result line says what the server answered.
 */
import { byTestId } from '../ui/dom';
import type { AdminApi } from './api';

export function wireUserActions(root: ParentNode, api: AdminApi): void {
  const form = byTestId(root, 'user-action-form', HTMLFormElement);
  const user = byTestId(root, 'user-action-user', HTMLInputElement);
  const channel = byTestId(root, 'user-action-channel', HTMLInputElement);
  const result = byTestId(root, 'user-action-result', HTMLElement);

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const action = event.submitter instanceof HTMLButtonElement ? event.submitter.value : 'disconnect';
    const who = user.value.trim();
    const where = channel.value.trim();
    if (who === '') {
      result.textContent = 'Enter a user.';
      return;
    }
    if (action === 'unsubscribe' && where === '') {
      result.textContent = 'Enter the channel to unsubscribe the user from.';
      channel.focus();
      return;
    }
    result.removeAttribute('data-outcome');
    result.textContent = 'Sending…';
    const sent = action === 'unsubscribe' ? api.unsubscribeUser(who, where) : api.disconnectUser(who);
    sent.then(
      () => {
        result.setAttribute('data-outcome', 'done');
        result.textContent =
          action === 'unsubscribe' ? `Sent to every node: ${who} is unsubscribed from ${where}.` : `Sent to every node: every connection of ${who} is closed.`;
      },
      (error: unknown) => {
        result.setAttribute('data-outcome', 'failed');
        result.textContent = `Not done: ${error instanceof Error ? error.message : String(error)}`;
      },
    );
  });
}
