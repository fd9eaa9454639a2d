/**
 * Access in the page: the toolbar's "Anonymous / Signed in" with Sign in / Sign out, the banner that says
 * why the server refuses this page, and the token form. The form opens by itself when the refusal is
 * about a token.
 */
import type { AccessState, Problem } from '../access/accessController';
import type { MessageKey, Translate } from '../i18n';
import { byTestId } from './dom';

export interface AccessViewHandlers {
  readonly signIn: (token: string) => Promise<{ readonly ok: boolean; readonly reason?: string }>;
  readonly signOut: () => void;
}

/** Problems a token could solve: the form opens with them. */
const NEEDS_TOKEN = new Set<Problem['code']>(['token_required', 'token_invalid', 'unexplained', 'token_expiring']);

const PROBLEM_TEXT: Readonly<Record<Problem['code'], MessageKey>> = {
  token_required: 'problemTokenRequired',
  token_invalid: 'problemTokenInvalid',
  origin_forbidden: 'problemOrigin',
  host_forbidden: 'problemOrigin',
  too_many_connections: 'problemTooMany',
  busy: 'problemBusy',
  unexplained: 'problemUnexplained',
  unreachable: 'problemUnreachable',
  token_expiring: 'problemTokenExpiring',
};

export class AccessView {
  private readonly el;
  private formOpen = false;
  private lastProblem: Problem['code'] | undefined;
  private state: AccessState | undefined;

  constructor(
    root: ParentNode,
    private readonly handlers: AccessViewHandlers,
    private readonly formatTime: (ms: number) => string,
  ) {
    this.el = {
      access: byTestId(root, 'access', HTMLElement),
      state: byTestId(root, 'access-state', HTMLElement),
      open: byTestId(root, 'signin-open', HTMLButtonElement),
      signOut: byTestId(root, 'signout', HTMLButtonElement),
      problem: byTestId(root, 'connection-problem', HTMLElement),
      problemText: byTestId(root, 'connection-problem-text', HTMLElement),
      form: byTestId(root, 'signin-form', HTMLFormElement),
      input: byTestId(root, 'token-input', HTMLInputElement),
      submit: byTestId(root, 'token-submit', HTMLButtonElement),
      cancel: byTestId(root, 'signin-cancel', HTMLButtonElement),
      error: byTestId(root, 'token-error', HTMLElement),
    };
    this.el.open.addEventListener('click', () => this.openForm());
    this.el.cancel.addEventListener('click', () => this.closeForm());
    this.el.signOut.addEventListener('click', () => handlers.signOut());
    this.el.form.addEventListener('submit', (event) => void this.onSubmit(event));
  }

  /** Opens the token form and focuses it (e.g. from "Sign in with a token" next to a refused channel). */
  openForm(): void {
    this.formOpen = true;
    this.el.form.hidden = false;
    this.el.input.focus();
  }

  closeForm(): void {
    this.formOpen = false;
    this.el.form.hidden = true;
    this.el.error.hidden = true;
    this.el.input.value = '';
  }

  render(state: AccessState | undefined, t: Translate): void {
    this.state = state;
    this.el.access.hidden = state === undefined;
    if (!state) {
      this.el.problem.hidden = true;
      this.el.form.hidden = true;
      return;
    }
    const signedIn = state.tokenKind !== 'none';
    this.el.state.dataset['auth'] = state.tokenKind;
    this.el.state.textContent = !signedIn ? t('accessAnonymous') : state.user ? t('accessUser', { user: state.user }) : t('accessToken');
    this.el.open.hidden = signedIn && state.problem === undefined;
    // Only a token the person entered can be dropped here; the hosting application owns its own.
    this.el.signOut.hidden = state.tokenKind !== 'manual';

    const problem = state.problem;
    this.el.problem.hidden = problem === undefined;
    if (problem) {
      this.el.problem.dataset['code'] = problem.code;
      this.el.problemText.textContent = t(PROBLEM_TEXT[problem.code], {
        code: problem.serverCode ?? problem.code,
        time: problem.at === undefined ? '' : this.formatTime(problem.at),
      });
      // A new problem that a token could solve opens the form once; the person may close it again.
      if (problem.code !== this.lastProblem && NEEDS_TOKEN.has(problem.code)) this.openForm();
    } else {
      delete this.el.problem.dataset['code'];
    }
    this.lastProblem = problem?.code;
    this.el.form.hidden = !this.formOpen;
  }

  private async onSubmit(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const token = this.el.input.value.trim();
    if (token === '') {
      this.el.input.focus();
      return;
    }
    this.el.submit.disabled = true;
    try {
      const result = await this.handlers.signIn(token);
      if (result.ok) {
        this.closeForm();
      } else {
        this.el.error.hidden = false;
        this.el.error.textContent = result.reason ?? '';
      }
    } finally {
      this.el.submit.disabled = false;
    }
    if (this.state) this.el.form.hidden = !this.formOpen;
  }
}
