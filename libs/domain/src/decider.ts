/** An event as a decider sees it: a type from its event map and that type's data. */
export type DomainEvent<M> = { [K in keyof M & string]: { type: K; data: M[K] } }[keyof M & string];

/**
 * A small aggregate over one stream: its events fold into a state, and a command is decided
 * against that state into new events (none when there is nothing to record). Pure: the
 * application loads, folds, decides and appends (libs/event-store `decideAndAppend`).
 */
export interface Decider<C, S, M> {
  initialState(): S;
  evolve(state: S, event: DomainEvent<M>): S;
  decide(command: C, state: S): DomainEvent<M>[];
}
