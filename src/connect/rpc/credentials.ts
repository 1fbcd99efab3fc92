import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { isIPv6 } from "node:net";
import { CallCredentials, ChannelCredentials, Metadata, type ChannelOptions } from "@grpc/grpc-js";
import { assertTokenTransportAllowed, type ConnectionConfig } from "./connection.js";
import { SparkConnectError } from "../errors.js";
import { packageVersion as ownPackageVersion } from "../../shared/package-root.js";

/** pyspark's default for both directions (ChannelBuilder.GRPC_MAX_MESSAGE_LENGTH_DEFAULT). */
export const DEFAULT_GRPC_MAX_MESSAGE_SIZE = 128 * 1024 * 1024;

const packageVersion = ownPackageVersion();

/**
 * Our client identity, sent as the gRPC user agent and as client_type in requests:
 * "spark-autobundle/<version>", preceded by the URL's user_agent when given (pyspark's order).
 */
export function clientType(config?: Pick<ConnectionConfig, "userAgent">): string {
  const ours = `spark-autobundle/${packageVersion}`;
  return config?.userAgent ? `${config.userAgent} ${ours}` : ours;
}

/**
 * How the token reaches the server:
 * - "call-credentials": inside the TLS channel credentials (grpc-js adds it to every call);
 * - "call-metadata": in callMetadata(), because grpc-js refuses call credentials on an insecure
 *   channel; only ever the case for loopback hosts (see assertTokenTransportAllowed);
 * - "none": no token.
 */
export type TokenTransport = "call-credentials" | "call-metadata" | "none";

export interface ChannelSetup {
  /** "host:port", with IPv6 hosts in brackets: the grpc-js target. */
  target: string;
  channel: ChannelCredentials;
  /** Message size limits and user agent: pass to the grpc-js Client constructor. */
  options: ChannelOptions;
  tokenTransport: TokenTransport;
  /** Fresh metadata for one call: the URL's extra headers, plus the token when tokenTransport is "call-metadata". */
  callMetadata(): Metadata;
}

export interface ChannelCredentialOptions {
  /** Trust only this CA instead of Node's bundled roots: PEM text or bytes, or a path to a PEM file. */
  caCertificate?: Buffer | string;
}

/** A CA certificate that cannot be used. */
export class TlsConfigError extends SparkConnectError {
  override name = "TlsConfigError";
}

export function channelCredentials(config: ConnectionConfig, opts: ChannelCredentialOptions = {}): ChannelSetup {
  assertTokenTransportAllowed(config); // configs may be built by hand, not only parsed
  if (opts.caCertificate !== undefined && !config.useSsl) {
    throw new TlsConfigError(`A CA certificate was given, but the connection ${config.url} is plaintext.`, {
      fix: 'Add ";use_ssl=true" to the URL, or drop the CA certificate.',
    });
  }
  const token = config.token;
  const tokenTransport: TokenTransport = token === undefined ? "none" : config.useSsl ? "call-credentials" : "call-metadata";
  let channel = config.useSsl
    ? ChannelCredentials.createSsl(opts.caCertificate === undefined ? null : loadCaCertificate(opts.caCertificate))
    : ChannelCredentials.createInsecure();
  if (tokenTransport === "call-credentials") {
    channel = channel.compose(
      CallCredentials.createFromMetadataGenerator((_params, callback) => callback(null, bearerMetadata(token!))),
    );
  }
  const size = config.grpcMaxMessageSize ?? DEFAULT_GRPC_MAX_MESSAGE_SIZE;
  return {
    target: `${isIPv6(config.host) ? `[${config.host}]` : config.host}:${config.port}`,
    channel,
    options: {
      "grpc.max_receive_message_length": size,
      "grpc.max_send_message_length": size,
      "grpc.primary_user_agent": clientType(config),
    },
    tokenTransport,
    callMetadata() {
      const metadata = tokenTransport === "call-metadata" ? bearerMetadata(token!) : new Metadata();
      for (const [name, value] of Object.entries(config.headers)) metadata.set(name, value);
      return metadata;
    },
  };
}

function bearerMetadata(token: string): Metadata {
  const metadata = new Metadata();
  metadata.set("authorization", `Bearer ${token}`);
  return metadata;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Reads and checks a CA: grpc-js/Node accept garbage here silently and only fail at handshake time. */
function loadCaCertificate(source: Buffer | string): Buffer {
  const isPath = typeof source === "string" && !source.includes("-----BEGIN");
  const origin = isPath ? `CA certificate file "${source}"` : "CA certificate";
  let text: string;
  if (isPath) {
    try {
      text = readFileSync(source, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? "unknown error";
      throw new TlsConfigError(`Cannot read the ${origin} (${code}).`, {
        fix: "Pass the path of a readable PEM file (or the PEM text itself) as caCertificate.",
        cause: err,
      });
    }
  } else {
    text = Buffer.isBuffer(source) ? source.toString("utf8") : source;
  }
  const blocks = text.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    throw new TlsConfigError(`The ${origin} contains no PEM certificate ("-----BEGIN CERTIFICATE-----").`, {
      fix: "Give a PEM file; convert a DER file with: openssl x509 -inform der -in ca.der -out ca.pem",
    });
  }
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (err) {
      throw new TlsConfigError(`The ${origin} holds a certificate that cannot be parsed.`, {
        fix: "Check the file with: openssl x509 -in <file> -noout -text",
        cause: err,
      });
    }
  }
  return Buffer.from(blocks.join("\n") + "\n");
}
