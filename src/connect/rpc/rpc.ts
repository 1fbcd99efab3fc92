import * as grpc from "@grpc/grpc-js";
import { create, fromBinary, toBinary, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import type { DescMethodServerStreaming, DescMethodUnary, DescMethodClientStreaming } from "@bufbuild/protobuf";

export interface ChannelSpec {
  /** host:port, IPv6 hosts in brackets. */
  address: string;
  credentials: grpc.ChannelCredentials;
  options?: grpc.ChannelOptions;
  /** Per-call metadata: bearer token and user headers. */
  metadata: () => grpc.Metadata;
}

type Unary<I extends DescMessage, O extends DescMessage> = DescMethodUnary<I, O>;
type ServerStreaming<I extends DescMessage, O extends DescMessage> = DescMethodServerStreaming<I, O>;
type ClientStreaming<I extends DescMessage, O extends DescMessage> = DescMethodClientStreaming<I, O>;

function path(method: { parent: { typeName: string }; name: string }): string {
  return `/${method.parent.typeName}/${method.name}`;
}

function codec<I extends DescMessage, O extends DescMessage>(input: I, output: O) {
  return {
    serialize: (value: MessageShape<I>) => Buffer.from(toBinary(input, value)),
    deserialize: (bytes: Buffer) => fromBinary(output, bytes),
  };
}

/**
 * A thin typed layer over grpc-js for protobuf-es descriptors. Errors are
 * grpc-js ServiceErrors; turning them into SparkConnectError is the caller's job
 * because that may need another RPC (FetchErrorDetails).
 */
export class Rpc {
  readonly address: string;
  private readonly client: grpc.Client;
  private readonly metadata: () => grpc.Metadata;

  constructor(spec: ChannelSpec) {
    this.address = spec.address;
    this.metadata = spec.metadata;
    this.client = new grpc.Client(spec.address, spec.credentials, spec.options);
  }

  unary<I extends DescMessage, O extends DescMessage>(
    method: Unary<I, O>,
    request: MessageInitShape<I>,
    options: grpc.CallOptions = {},
  ): Promise<MessageShape<O>> {
    const { serialize, deserialize } = codec(method.input, method.output);
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(path(method), serialize, deserialize, create(method.input, request), this.metadata(), options, (err, value) =>
        err ? reject(err) : resolve(value!),
      );
    });
  }

  /** A server stream as an async iterable; cancelling the iteration cancels the call. */
  async *serverStream<I extends DescMessage, O extends DescMessage>(
    method: ServerStreaming<I, O>,
    request: MessageInitShape<I>,
    options: grpc.CallOptions = {},
  ): AsyncGenerator<MessageShape<O>> {
    const { serialize, deserialize } = codec(method.input, method.output);
    const call = this.client.makeServerStreamRequest(path(method), serialize, deserialize, create(method.input, request), this.metadata(), options);
    let finished = false;
    try {
      for await (const message of call) yield message as MessageShape<O>;
      finished = true;
    } finally {
      if (!finished) call.cancel();
    }
  }

  /** A client stream: writes every request, then waits for the single answer. */
  clientStream<I extends DescMessage, O extends DescMessage>(
    method: ClientStreaming<I, O>,
    requests: Iterable<MessageInitShape<I>>,
    options: grpc.CallOptions = {},
  ): Promise<MessageShape<O>> {
    const { serialize, deserialize } = codec(method.input, method.output);
    return new Promise((resolve, reject) => {
      const call = this.client.makeClientStreamRequest(path(method), serialize, deserialize, this.metadata(), options, (err, value) =>
        err ? reject(err) : resolve(value!),
      );
      void writeAll(call, method.input, requests).catch((err: unknown) => {
        call.cancel();
        reject(err);
      });
    });
  }

  close(): void {
    this.client.close();
  }
}

// Honours back-pressure so a large artifact is not buffered whole in grpc-js.
async function writeAll<I extends DescMessage>(call: grpc.ClientWritableStream<MessageShape<I>>, schema: I, requests: Iterable<MessageInitShape<I>>) {
  for (const request of requests) {
    if (!call.write(create(schema, request))) await new Promise<void>((resolve) => call.once("drain", resolve));
  }
  call.end();
}
