import type { ImageView, SessionAction, SessionView } from '@porthole/contracts';
import type { AgentService } from '../agents/agent-service.js';
import { ConflictError, NotFoundError, UnavailableError } from '../errors.js';
import type { Caller } from '../http/caller.js';
import { type ApiKeyIdentity, keyMay } from '../http/caller.js';
import type { ImageService } from '../images/image-service.js';
import type { Clock } from '../platform/clock.js';
import type { SessionService } from '../sessions/session-service.js';
import type { SharingService } from '../sharing/sharing-service.js';
import type { UserAdminService } from '../users/user-admin-service.js';
import { kasmDate, kasmStatus, toKasm, toKasmId } from './kasm-format.js';
import type { ExecKasmBody, KasmIdBody, KasmStatusBody, RequestKasmBody } from './kasm-schemas.js';
import type { OneTimeLoginService } from './one-time-login-service.js';

/** Kasm answers a full installation with 200 and this message; Porthole does the same (see the docs). */
export const NO_RESOURCES =
  'No resources are available to create the requested Kasm. Please try again later or contact an Administrator';

export interface KasmSessionDeps {
  sessions: SessionService;
  users: UserAdminService;
  images: ImageService;
  logins: OneTimeLoginService;
  sharing: Pick<SharingService, 'enable' | 'join' | 'assertMayShare'>;
  agents: Pick<AgentService, 'hostnames'>;
  clock: Clock;
}

const REASON = 'through the developer API';
const DONE: Record<SessionAction, string> = { pause: 'paused', resume: 'resumed', stop: 'stopped' };

/** The kasm (session) endpoints of the developer API, on top of the session service. */
export class KasmSessions {
  constructor(private readonly deps: KasmSessionDeps) {}

  private now(): string {
    return kasmDate(this.deps.clock.now());
  }

  private async imageMap(): Promise<Map<string, ImageView>> {
    return new Map((await this.deps.images.list()).map((i) => [i.id, i]));
  }

  /** Formats kasms with the image and agent details the session row does not carry. */
  private async formatter(): Promise<(view: SessionView) => ReturnType<typeof toKasm>> {
    const [images, hosts] = await Promise.all([this.imageMap(), this.deps.agents.hostnames()]);
    return (view) => toKasm(view, images, hosts);
  }

  /** The session, 404 when it does not exist or `userId` names someone else. */
  private async find(kasmId: string, userId?: string): Promise<SessionView> {
    const view = await this.deps.sessions.view(kasmId).catch((err: unknown) => {
      throw err instanceof NotFoundError ? new NotFoundError(`no kasm ${toKasmId(kasmId)}`) : err;
    });
    if (userId !== undefined && view.userId !== userId) {
      throw new NotFoundError(`no kasm ${toKasmId(kasmId)} for user ${toKasmId(userId)}`);
    }
    return view;
  }

  async request(key: ApiKeyIdentity, input: RequestKasmBody): Promise<object> {
    const user = await this.deps.users.get(input.user_id);
    if (user.disabled || user.locked) {
      throw new ConflictError(`user ${user.username} is ${user.disabled ? 'disabled' : 'locked'}`);
    }
    const caller: Caller = { userId: user.id, username: user.username, isAdmin: user.isAdmin };
    if (input.enable_sharing) await this.deps.sharing.assertMayShare(user.id);
    let view: SessionView;
    try {
      view = await this.deps.sessions.launch(caller, {
        imageId: input.image_id,
        ...(input.kasm_url ? { url: input.kasm_url } : {}),
        ...(input.environment ? { environment: input.environment } : {}),
      });
    } catch (err) {
      // Launch is unavailable only when placement found no agent with room for the workspace.
      if (err instanceof UnavailableError) return { error_message: `${NO_RESOURCES} (${err.message})` };
      throw err;
    }
    const link = await this.deps.logins.issue(user.id, view.id, key.id);
    const share = input.enable_sharing ? await this.deps.sharing.enable(caller, view.id, '') : null;
    return {
      kasm_id: toKasmId(view.id),
      status: kasmStatus(view.state).status,
      share_id: share?.shareId ?? null,
      user_id: toKasmId(user.id),
      username: user.username,
      session_token: link.token,
      kasm_url: link.path,
    };
  }

  async status(key: ApiKeyIdentity, input: KasmStatusBody): Promise<object> {
    const view = await this.find(input.kasm_id, input.user_id);
    const info = kasmStatus(view.state);
    // A sign-in link is a login on the user's behalf: only for keys that may do that, once running.
    const mayLink = keyMay(key, ['users_auth_session']) && !key.readOnly;
    const link =
      mayLink && view.userId && view.state === 'running'
        ? await this.deps.logins.issue(view.userId, view.id, key.id)
        : null;
    return {
      current_time: this.now(),
      kasm_url: link?.path ?? null,
      operational_status: info.status,
      operational_message: view.stateReason ? `${info.message}: ${view.stateReason}` : info.message,
      operational_progress: info.progress,
      kasm: (await this.formatter())(view),
    };
  }

  async list(userId?: string): Promise<object> {
    if (userId !== undefined) await this.deps.users.get(userId);
    const views = await this.deps.sessions.adminList(userId === undefined ? {} : { userId });
    const format = await this.formatter();
    return { current_time: this.now(), kasms: views.map(format) };
  }

  async destroy(input: KasmIdBody): Promise<object> {
    await this.find(input.kasm_id, input.user_id);
    await this.deps.sessions.delete('system', input.kasm_id, `destroyed ${REASON}`);
    return {};
  }

  async keepalive(input: KasmIdBody): Promise<object> {
    const view = await this.find(input.kasm_id, input.user_id);
    if (!view.userId || !view.username) throw new ConflictError('a staged kasm has no user to keep it alive');
    // On the owner's behalf, as their browser would.
    const owner: Caller = { userId: view.userId, username: view.username, isAdmin: false };
    await this.deps.sessions.keepalive(owner, view.id);
    return { usage_reached: false };
  }

  async act(input: KasmIdBody, action: SessionAction): Promise<object> {
    await this.find(input.kasm_id, input.user_id);
    await this.deps.sessions.act('system', input.kasm_id, action, `${DONE[action]} ${REASON}`);
    return {};
  }

  async exec(input: ExecKasmBody): Promise<object> {
    await this.find(input.kasm_id, input.user_id);
    const { cmd, environment, workdir, user } = input.exec_config;
    await this.deps.sessions.exec(input.kasm_id, {
      cmd,
      ...(environment ? { environment } : {}),
      ...(workdir ? { workdir } : {}),
      ...(user ? { user } : {}),
    });
    return { current_time: this.now(), kasm_id: toKasmId(input.kasm_id) };
  }

  /** The joiner gets a one-time link that opens the shared session as them (viewer or collaborator). */
  async join(key: ApiKeyIdentity, input: { share_id: string; user_id: string }): Promise<object> {
    const user = await this.deps.users.get(input.user_id);
    if (user.disabled || user.locked) {
      throw new ConflictError(`user ${user.username} is ${user.disabled ? 'disabled' : 'locked'}`);
    }
    const caller: Caller = { userId: user.id, username: user.username, isAdmin: user.isAdmin };
    const joined = await this.deps.sharing.join(caller, input.share_id);
    const link = await this.deps.logins.issue(user.id, joined.session.id, key.id);
    return {
      kasm_id: toKasmId(joined.session.id),
      share_id: input.share_id,
      role: joined.role,
      user_id: toKasmId(user.id),
      username: user.username,
      session_token: link.token,
      kasm_url: link.path,
      kasm: (await this.formatter())(joined.session),
    };
  }
}
