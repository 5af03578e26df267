/** Where a command writes. Commands return an exit code; only bin/railyard.ts exits. */
export type Io = {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
};
