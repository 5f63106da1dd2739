/** The one source of "now" for decisions. Production uses systemClock; tests inject a ManualClock. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that only moves when told to: for table tests and deterministic integration tests. */
export class ManualClock implements Clock {
  #now: number;
  constructor(start: Date | string = "2026-01-01T00:00:00Z") {
    this.#now = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.#now);
  }
  advance(ms: number): Date {
    this.#now += ms;
    return this.now();
  }
  set(to: Date | string): void {
    this.#now = new Date(to).getTime();
  }
}
