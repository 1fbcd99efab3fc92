// The interceptor's Java source is a real file with the token variable's name written out; it must
// agree with what the launcher sets and with the class name Spark is told to load.
import { describe, expect, it } from "vitest";
import { CONNECT_TOKEN_ENV } from "../../../src/server/constants.js";
import { LOOPBACK_TOKEN_INTERCEPTOR_JAVA } from "../../../src/gen/embedded.js";
import { AUTH_INTERCEPTOR_CLASS } from "../../../src/server/provision/auth-interceptor.js";

describe("the Spark 3.5 token interceptor's source", () => {
  it("reads the token from the variable the launcher sets", () => {
    expect(LOOPBACK_TOKEN_INTERCEPTOR_JAVA).toContain(`System.getenv("${CONNECT_TOKEN_ENV}")`);
  });

  it("declares the class Spark loads", () => {
    const dot = AUTH_INTERCEPTOR_CLASS.lastIndexOf(".");
    expect(LOOPBACK_TOKEN_INTERCEPTOR_JAVA).toContain(`package ${AUTH_INTERCEPTOR_CLASS.slice(0, dot)};`);
    expect(LOOPBACK_TOKEN_INTERCEPTOR_JAVA).toContain(`public final class ${AUTH_INTERCEPTOR_CLASS.slice(dot + 1)} implements ServerInterceptor`);
  });
});
