/**
 * Reactions that cross resources (a session ended, a user signed out, an agent is deleted) go
 * through this hub rather than through callbacks bound late in the wiring: the resource that
 * notices emits, the resources that care subscribe in app/, and neither imports the other.
 */
export interface DomainEvents {
  /** A session was deleted (its row is `deleted`): sharing clears its chat and disconnects joiners. */
  sessionEnded: { sessionId: string };
  /**
   * Sign-ins of a user ended: `signIn` names one (a sign-out), `exceptSignIn` spares one (a password
   * changed from that sign-in), neither is all of them. The streams those sign-ins opened close.
   */
  signedOut: { userId: string; signIn?: string; exceptSignIn?: string };
  /** A user was locked or disabled (sign-ins already revoked): the streams they hold close. */
  userBarred: { userId: string };
  /**
   * A user is being deleted: their live sessions are `deleting` already and the account is barred;
   * the row goes once the reactions are done, so they can still find the sessions by owner.
   */
  userDeleting: { userId: string; sessionIds: string[] };
  /** An agent is force-deleted: its sessions are destroyed before its row goes. */
  agentDeleting: { agentId: string };
}

export type DomainEventName = keyof DomainEvents;
type Handler<K extends DomainEventName> = (event: DomainEvents[K]) => Promise<unknown>;

export interface EventLog {
  warn(obj: object, msg: string): void;
}

/**
 * In-process and awaited: `emit` returns once every reaction ran, so a caller may rely on them
 * having happened (a deleted user's sessions are gone before the user row is). A failing reaction
 * is logged and never fails the change that emitted it, which has already been committed.
 */
export class EventHub {
  private readonly handlers = new Map<DomainEventName, Array<Handler<DomainEventName>>>();

  constructor(private readonly log?: EventLog) {}

  on<K extends DomainEventName>(name: K, handler: Handler<K>): void {
    const list = this.handlers.get(name) ?? [];
    list.push(handler as Handler<DomainEventName>);
    this.handlers.set(name, list);
  }

  async emit<K extends DomainEventName>(name: K, event: DomainEvents[K]): Promise<void> {
    const list = this.handlers.get(name) ?? [];
    await Promise.all(
      list.map((handle) =>
        handle(event).catch((err: unknown) => {
          this.log?.warn({ err, event: name, ...event }, `a reaction to ${name} failed`);
        }),
      ),
    );
  }
}
