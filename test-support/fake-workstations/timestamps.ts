/** `google.protobuf.Timestamp` as proto-loader expects it (longs as strings). Test infrastructure. */
export interface ProtoTimestamp {
  seconds: string;
  nanos: number;
}

export function timestamp(date: Date): ProtoTimestamp {
  const ms = date.getTime();
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
}
