/** Invalid input to a node operation (a bad message or block), with the reason and its HTTP status. */
export class BadInputError extends Error {
  readonly code = "BAD_INPUT";
  constructor(
    message: string,
    readonly status: 400 | 413 = 400,
  ) {
    super(message);
    this.name = "BadInputError";
  }
}

/** An operation that needs a started node. */
export class NotStartedError extends Error {
  readonly code = "NOT_STARTED";
  constructor() {
    super("the node is not started (or is stopping)");
    this.name = "NotStartedError";
  }
}
