import { afterEach, describe, expect, it, vi } from "vitest";
import {
  assertTokenTransportAllowed,
  ConnectionStringError,
  DEFAULT_PORT,
  isLoopbackHost,
  parseConnectionString,
  redactUrl,
  resolveRemote,
  type ConnectionConfig,
} from "../../../src/connect/rpc/connection.js";
import { SparkConnectError } from "../../../src/connect/errors.js";

const SECRET = "s3cr3t";

function parseError(url: string): ConnectionStringError {
  try {
    parseConnectionString(url);
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectionStringError);
    return err as ConnectionStringError;
  }
  throw new Error(`expected ${url} to be rejected`);
}

describe("parseConnectionString: valid URLs", () => {
  const cases: Array<[string, Partial<ConnectionConfig>]> = [
    ["sc://localhost", { host: "localhost", port: DEFAULT_PORT, useSsl: false, headers: {} }],
    ["sc://localhost/", { host: "localhost", port: 15002, useSsl: false }],
    ["  sc://localhost:15003  ", { host: "localhost", port: 15003 }],
    ["sc://myhost.com:443/;use_ssl=true", { host: "myhost.com", port: 443, useSsl: true }],
    ["sc://myhost.com:443/;use_ssl=true;token=ABCDEFG", { useSsl: true, token: "ABCDEFG" }],
    ["sc://h/;use_ssl=TRUE", { useSsl: true }],
    ["sc://h/;use_ssl=False", { useSsl: false }],
    // Spark: a token turns TLS on...
    ["sc://myhost.com/;token=ABCDEFG", { useSsl: true, token: "ABCDEFG" }],
    // ...except on loopback (Spark 4 sends the local token without TLS).
    ["sc://localhost/;token=abc", { useSsl: false, token: "abc" }],
    ["sc://127.0.0.2:15002/;token=abc", { host: "127.0.0.2", useSsl: false }],
    ["sc://[::1]:15003/;token=abc", { host: "::1", port: 15003, useSsl: false }],
    ["sc://localhost/;token=abc;use_ssl=true", { useSsl: true }],
    ["sc://localhost/;token=abc;use_ssl=false", { useSsl: false, token: "abc" }],
    ["sc://[::1]", { host: "::1", port: 15002 }],
    ["sc://[2001:db8::7]:443/;use_ssl=true", { host: "2001:db8::7", port: 443, useSsl: true }],
    ["sc://10.1.2.3:1", { host: "10.1.2.3", port: 1 }],
    ["sc://spark_connect:65535", { host: "spark_connect", port: 65535 }],
    // Percent-decoding of values and keys; "+" is not a space (pyspark's unquote agrees).
    ["sc://h/;token=YWJj%3D%3D", { token: "YWJj==" }],
    ["sc://h/;token=abc==", { token: "abc==" }],
    ["sc://h/;user_agent=my+app%20v2", { userAgent: "my+app v2" }],
    ["sc://h/;x%2Dtrace=1", { headers: { "x-trace": "1" } }],
    ["sc://h/;user_id=Martin%20K", { userId: "Martin K" }],
    [
      "sc://h/;session_id=550e8400-e29b-41d4-a716-446655440000",
      { sessionId: "550e8400-e29b-41d4-a716-446655440000" },
    ],
    ["sc://h/;grpc_max_message_size=134217728", { grpcMaxMessageSize: 134217728 }],
    ["sc://h/;grpc_max_message_size=2147483647", { grpcMaxMessageSize: 2147483647 }],
    // Unknown keys become headers, lower-cased as gRPC sends them.
    [
      "sc://h/;x-Databricks-Cluster-Id=0123-abc;foo=bar;x-empty=",
      { headers: { "x-databricks-cluster-id": "0123-abc", foo: "bar", "x-empty": "" } },
    ],
    ["sc://h:1;user_id=x", { port: 1, userId: "x" }],
    ["sc://h/;user_id=a;", { userId: "a" }],
    ["sc://h/;", { headers: {} }],
  ];
  it.each(cases)("%s", (url, expected) => {
    expect(parseConnectionString(url)).toMatchObject(expected);
  });

  it("leaves unset options undefined and only known keys out of the headers", () => {
    const config = parseConnectionString("sc://h/;user_id=u;custom=1");
    expect(config.token).toBeUndefined();
    expect(config.sessionId).toBeUndefined();
    expect(config.grpcMaxMessageSize).toBeUndefined();
    expect(config.headers).toEqual({ custom: "1" });
  });

  it("keeps a header named __proto__ as an own property", () => {
    const config = parseConnectionString("sc://h/;__proto__=x");
    expect(Object.keys(config.headers)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(config.headers)).toBe(Object.prototype);
  });

  it("redacts the token in config.url but keeps everything else", () => {
    const config = parseConnectionString(`sc://h:443/;token=${SECRET};user_id=bob`);
    expect(config.url).toBe("sc://h:443/;token=<redacted>;user_id=bob");
    expect(config.token).toBe(SECRET);
  });
});

describe("parseConnectionString: invalid URLs", () => {
  const cases: Array<[string, RegExp, RegExp]> = [
    [`http://h:15002/;token=${SECRET}`, /scheme is "http:\/\/".*use "sc:\/\/"/, /sc:\/\/localhost:15002/],
    ["https://h", /scheme is "https:\/\/"/, /use_ssl=true/],
    ["SC://h", /scheme is "SC:\/\/"/, /lower case/],
    ["localhost:15002", /does not start with "sc:\/\/"/, /sc:\/\/localhost:15002/],
    ["", /does not start with "sc:\/\/"/, /sc:\/\/spark\.example\.com/],
    ["sc://h:abc", /port "abc" is not a number from 1 to 65535/, /sc:\/\/h:15002/],
    ["sc://h:0", /port "0"/, /default 15002/],
    ["sc://h:65536", /port "65536"/, /valid port/],
    ["sc://h:-1", /port "-1"/, /valid port/],
    ["sc://h:/", /port ""/, /valid port/],
    ["sc://[::1]:99999", /port "99999"/, /sc:\/\/\[::1\]:15002/],
    [`sc://:15002/;token=${SECRET}`, /host is empty/, /sc:\/\/localhost:15002/],
    ["sc://", /host is empty/, /name the server/],
    ["sc://h%20x/", /host "h%20x" contains characters/, /DNS name or an IP/],
    ["sc://[::1/", /no closing "\]"/, /brackets/],
    ["sc://::1:15002", /more than one ":"/, /sc:\/\/\[::1\]:15002/],
    ["sc://[not-ipv6]:1", /not a valid IPv6 address/, /brackets/],
    ["sc://[::1]x", /unexpected "x"/, /\[::1\]:15002/],
    [`sc://user:${SECRET}@h/`, /user information/, /user_id=/],
    [`sc://h/path/;token=${SECRET}`, /path "\/path\/" is not allowed/, /remove the path/],
    ["sc://h//", /path "\/\/" is not allowed/, /remove the path/],
    [`sc://h/?token=${SECRET}`, /"\?" or "#"/, /;key=value/],
    [`sc://h/;token=a#${SECRET}`, /"\?" or "#"/, /%23/],
    ["sc://h/;session_id=not-a-uuid", /session_id "not-a-uuid" is not a UUID/, /randomUUID|leave it out/],
    ["sc://h/;session_id=550e8400e29b41d4a716446655440000", /is not a UUID/, /550e8400-e29b/],
    ["sc://h/;use_ssl=yes", /use_ssl must be "true" or "false", not "yes"/, /use_ssl=true/],
    ["sc://h/;use_ssl=1", /use_ssl must be "true" or "false"/, /use_ssl=false/],
    ["sc://h/;use_ssl", /parameter "use_ssl" has no "="/, /key=value/],
    [`sc://h/;${SECRET}`, /parameter number 1 has no "="/, /key=value/],
    [`sc://h/;user_id=a;token=x;token=${SECRET}`, /parameter "token" is given more than once/, /keep one/],
    ["sc://h/;x-a=1;X-A=2", /parameter "X-A" is given more than once/, /keep one/],
    ["sc://h/;grpc_max_message_size=0", /grpc_max_message_size "0" is not a positive integer/, /134217728/],
    ["sc://h/;grpc_max_message_size=-5", /not a positive integer/, /bytes/],
    ["sc://h/;grpc_max_message_size=1.5", /not a positive integer/, /bytes/],
    ["sc://h/;grpc_max_message_size=2147483648", /at most 2147483647/, /bytes/],
    [`sc://h/;Token=${SECRET}`, /case-sensitive: "Token" is not "token"/, /;token=/],
    ["sc://h/;USE_SSL=true", /case-sensitive: "USE_SSL" is not "use_ssl"/, /;use_ssl=/],
    ["sc://h/;token=", /parameter "token" is empty/, /give it a value/],
    ["sc://h/;user_id=", /parameter "user_id" is empty/, /give it a value/],
    [`sc://h/;token=%zz${SECRET}`, /value of "token" has a malformed percent escape/, /%3D/],
    ["sc://h/;bad%zzkey=1", /name "bad%zzkey" has a malformed percent escape/, /%XX/],
    ["sc://h/;=value", /no name before "="/, /key=value/],
    ["sc://h/;x-thing-bin=abc", /binary header/, /in code/],
    ["sc://h/;grpc-timeout=1", /reserved/, /remove it/],
    ["sc://h/;user-agent=foo", /reserved/, /;user_agent=/],
    ["sc://h/;bad%20key=1", /"bad key" is not a valid gRPC header name/, /spelling/],
    ["sc://h/;x-note=caf%C3%A9", /value of header "x-note" contains characters/, /ASCII/],
    [`sc://h:443/;token=${SECRET}%C3%A9`, /token contains characters/, /ASCII/],
    [`sc://h/;user_agent=${"a".repeat(2049)}`, /longer than 2048/, /shorten/],
    [`sc://h/;token=${SECRET};authorization=Bearer%20x`, /both "token" and an "authorization" header/, /keep only/],
  ];
  it.each(cases)("%s", (url, message, fix) => {
    const err = parseError(url);
    expect(err).toBeInstanceOf(SparkConnectError);
    expect(err.message).toMatch(message);
    expect(err.fix).toMatch(fix);
    expect(err.message).toContain(`Fix: ${err.fix}`);
    for (const text of [err.message, err.url, err.fix]) expect(text).not.toContain(SECRET);
  });

  it("keeps the redacted URL on the error", () => {
    const err = parseError(`sc://h:1/;token=${SECRET};use_ssl=maybe`);
    expect(err.url).toBe("sc://h:1/;token=<redacted>;use_ssl=maybe");
    expect(err.message).toContain('Invalid Spark Connect URL "sc://h:1/;token=<redacted>;use_ssl=maybe"');
  });
});

describe("credential headers are guarded like the token", () => {
  const headers = ["x-api-key", "api_key", "apikey", "password", "passwd", "secret", "client-secret", "x-auth-token", "proxy-authorization", "x-access-key", "cookie", "session-key"];

  it.each(headers)("%s: refused in plaintext to a non-loopback host, redacted in the URL shown", (name) => {
    const err = parseError(`sc://spark.example.com/;${name}=${SECRET};use_ssl=false`);
    expect(err.message).toMatch(new RegExp(`refusing to send the "${name}" header over a plaintext`));
    expect(err.fix).toMatch(/;use_ssl=true/);
    expect(err.message + err.url + (err.fix ?? "")).not.toContain(SECRET);
    expect(redactUrl(`sc://h/;${name}=${SECRET}`)).toBe(`sc://h/;${name}=<redacted>`);
  });

  it.each(headers)("%s: turns TLS on for a remote host when use_ssl is not given; loopback may stay plaintext", (name) => {
    expect(parseConnectionString(`sc://spark.example.com/;${name}=v`)).toMatchObject({ useSsl: true, headers: { [name]: "v" } });
    expect(parseConnectionString(`sc://localhost/;${name}=v`)).toMatchObject({ useSsl: false });
  });

  it("an ordinary header stays allowed in plaintext", () => {
    expect(parseConnectionString("sc://spark.example.com/;x-request-source=etl")).toMatchObject({ useSsl: false, headers: { "x-request-source": "etl" } });
  });
});

describe("token transport rule", () => {
  it.each([
    `sc://spark.example.com/;token=${SECRET};use_ssl=false`,
    `sc://10.0.0.5:15002/;use_ssl=false;token=${SECRET}`,
    `sc://[2001:db8::1]/;token=${SECRET};use_ssl=false`,
    `sc://0.0.0.0/;token=${SECRET};use_ssl=false`,
    `sc://h/;authorization=Bearer%20${SECRET};use_ssl=false`,
  ])("refuses a token in plaintext to a non-loopback host: %s", (url) => {
    const err = parseError(url);
    expect(err.message).toMatch(/refusing to send a bearer token over a plaintext/);
    expect(err.message).toMatch(/only loopback hosts \(localhost, 127\.0\.0\.0\/8, ::1\)/);
    expect(err.fix).toMatch(/;use_ssl=true/);
    expect(err.fix).toMatch(/SSH tunnel \(ssh -N -L 15002:localhost:\d+ <user>@/);
    expect(err.fix).toMatch(/sc:\/\/localhost:15002\/;token=<token>/);
    expect(err.message + err.url).not.toContain(SECRET);
  });

  it.each(["localhost", "127.0.0.1", "127.9.9.9", "[::1]", "[::ffff:127.0.0.1]"])(
    "allows a plaintext token to loopback host %s",
    (host) => {
      const config = parseConnectionString(`sc://${host}/;token=t;use_ssl=false`);
      expect(config).toMatchObject({ useSsl: false, token: "t" });
    },
  );

  it("also guards hand-built configs", () => {
    const config: ConnectionConfig = { host: "db.example.com", port: 15002, useSsl: false, token: SECRET, headers: {}, url: "sc://db.example.com" };
    expect(() => assertTokenTransportAllowed(config)).toThrow(/plaintext/);
    expect(() => assertTokenTransportAllowed({ ...config, useSsl: true })).not.toThrow();
    expect(() => assertTokenTransportAllowed({ ...config, token: undefined })).not.toThrow();
    expect(() => assertTokenTransportAllowed({ ...config, host: "127.0.0.1" })).not.toThrow();
  });
});

describe("isLoopbackHost", () => {
  it.each([
    "localhost", "LOCALHOST", "localhost.", "127.0.0.1", "127.0.0.2", "127.255.255.254",
    "::1", "[::1]", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1", "::ffff:7f00:1",
  ])("%s is loopback", (host) => expect(isLoopbackHost(host)).toBe(true));

  it.each([
    "128.0.0.1", "10.0.0.1", "0.0.0.0", "::", "::2", "::ffff:10.0.0.1", "example.com",
    "localhost.example.com", "127.0.0.1.nip.io", "127.1", "",
  ])("%s is not loopback", (host) => expect(isLoopbackHost(host)).toBe(false));
});

describe("redactUrl", () => {
  it("redacts secret-looking keys, percent-encoded ones and user info, and nothing else", () => {
    expect(redactUrl("sc://h/;token=abc;api_key=k;X-Secret-Header=s;x-user=bob;to%6Ben=z")).toBe(
      "sc://h/;token=<redacted>;api_key=<redacted>;X-Secret-Header=<redacted>;x-user=bob;to%6Ben=<redacted>",
    );
    expect(redactUrl("sc://me:pw@h:1/;use_ssl;junk")).toBe("sc://<redacted>@h:1/;use_ssl;<redacted>");
    expect(redactUrl("sc://h/?token=abc&password=p")).toBe("sc://h/?token=<redacted>&password=<redacted>");
    expect(redactUrl("sc://h/;token=ab#cd;x=1")).toBe("sc://h/;token=<redacted>#<redacted>");
  });
});

describe("resolveRemote", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("prefers the given remote over SPARK_REMOTE", () => {
    const resolved = resolveRemote("sc://given:1", { SPARK_REMOTE: "sc://env:2" });
    expect(resolved).toMatchObject({ kind: "remote", config: { host: "given", port: 1 } });
  });

  it("falls back to SPARK_REMOTE, also when the given remote is blank", () => {
    expect(resolveRemote(undefined, { SPARK_REMOTE: " sc://env:2\n" })).toMatchObject({ kind: "remote", config: { host: "env", port: 2 } });
    expect(resolveRemote("  ", { SPARK_REMOTE: "local[3]" })).toEqual({ kind: "local", cores: 3 });
  });

  it("reads process.env by default", () => {
    vi.stubEnv("SPARK_REMOTE", "sc://from-process-env");
    expect(resolveRemote()).toMatchObject({ kind: "remote", config: { host: "from-process-env" } });
  });

  it.each([undefined, "", " "])("explains both options when nothing is set (SPARK_REMOTE=%j)", (envValue) => {
    const env = envValue === undefined ? {} : { SPARK_REMOTE: envValue };
    expect(() => resolveRemote(undefined, env)).toThrow(ConnectionStringError);
    try {
      resolveRemote(undefined, env);
    } catch (err) {
      const e = err as ConnectionStringError;
      expect(e.message).toMatch(/No Spark Connect server given/);
      expect(e.fix).toContain('remote("sc://host:15002")');
      expect(e.fix).toContain("SPARK_REMOTE=sc://host:15002");
      expect(e.fix).toContain('remote("local")');
    }
  });

  it.each<[string, number | "*" | undefined]>([
    ["local", undefined], // the embedded server as it runs: no core count asked for
    ["local[1]", 1],
    ["local[4]", 4],
    ["local[*]", "*"],
  ])("%s is the embedded server", (remote, cores) => {
    expect(resolveRemote(remote, {})).toStrictEqual(cores === undefined ? { kind: "local" } : { kind: "local", cores });
  });

  it.each(["local[0]", "local[-1]", "local[abc]", "local[]", "local[2,3]", "local[1.5]", "local[4"])(
    "rejects %s with the valid forms",
    (remote) => {
      expect(() => resolveRemote(remote, {})).toThrow(/not a valid local master.*whole number of at least 1, or "\*"/);
      expect(() => resolveRemote(remote, {})).toThrow(/local\[4\]" or "local\[\*\]/);
    },
  );

  it("names SPARK_REMOTE when its URL is bad, without leaking the token", () => {
    try {
      resolveRemote(undefined, { SPARK_REMOTE: `sc://h:x/;token=${SECRET}` });
      expect.unreachable();
    } catch (err) {
      const e = err as ConnectionStringError;
      expect(e).toBeInstanceOf(ConnectionStringError);
      expect(e.message).toMatch(/^SPARK_REMOTE: Invalid Spark Connect URL .*port "x"/);
      expect(e.fix).toMatch(/unset SPARK_REMOTE/);
      expect(e.cause).toBeInstanceOf(ConnectionStringError);
      expect(e.message + e.url).not.toContain(SECRET);
    }
  });

  it("does not prefix errors of a directly given remote", () => {
    expect(() => resolveRemote("sc://h:x", { SPARK_REMOTE: "sc://ok" })).toThrow(/^Invalid Spark Connect URL/);
  });
});
