import { tableFromArrays } from "apache-arrow";
import type { AddArtifactsRequest, ExecutePlanResponse, Plan } from "../../src/gen/spark/connect/base_pb.js";
import type { ArtifactTransport } from "../../src/bundle/upload.js";
import type { DepsResolution } from "../../src/bundle/deps/resolve.js";
import { FakeBundleSession, FakeDeps } from "./fake-bundle-session.js";
import { arrowBatch } from "./recording-core.js";

type AddArtifactsPayload = Omit<AddArtifactsRequest, "sessionId" | "userContext" | "$typeName">;

/**
 * FakeBundleSession (unchanged, wrapped) plus what races need: what the *current* server-side session
 * was sent, a pause before the next held-marker check, and probe jobs that answer like workers.
 */
export class WatchedBundleSession extends FakeBundleSession {
  /** Awaited once, at the start of the next ArtifactStatus call: a test runs its racing work here. */
  beforeNextStatusCheck: (() => Promise<void>) | undefined;
  /**
   * How workers answer a probe job stating Python `pythonVer`: their full version, or the error the job
   * fails with. Unset: probe jobs are only recorded, as FakeBundleSession does.
   */
  probeAnswer: ((pythonVer: string) => string | Error) | undefined;
  /** The bytes each uploaded artifact carried (the last upload of a name wins). */
  readonly uploadedBytes = new Map<string, Buffer>();
  /** The pythonVer of every probe job, in order. */
  readonly probes: string[] = [];
  private uploadsAtChange = 0;
  /** The base class's transport (its record of uploads), which the one below wraps. */
  private readonly inner: ArtifactTransport = (this as FakeBundleSession).client;

  override readonly client: ArtifactTransport = {
    artifactStatuses: async (names) => {
      const before = this.beforeNextStatusCheck;
      this.beforeNextStatusCheck = undefined;
      await before?.();
      return this.inner.artifactStatuses(names);
    },
    addArtifacts: (requests) => {
      // Read as the real stream reads (file chunks on demand), keeping each artifact's bytes.
      const read = [...requests];
      let chunked: string | undefined;
      const append = (name: string, data: Uint8Array) => this.uploadedBytes.set(name, Buffer.concat([this.uploadedBytes.get(name) ?? Buffer.alloc(0), data]));
      for (const { payload } of read as unknown as AddArtifactsPayload[]) {
        if (payload.case === "batch") for (const a of payload.value.artifacts) this.uploadedBytes.set(a.name, Buffer.from(a.data?.data ?? []));
        if (payload.case === "beginChunk") this.uploadedBytes.set((chunked = payload.value.name), Buffer.from(payload.value.initialChunk?.data ?? []));
        if (payload.case === "chunk" && chunked !== undefined) append(chunked, payload.value.data);
      }
      return this.inner.addArtifacts(read);
    },
  };

  /** Artifact names uploaded since the last server-side session change: all the current session holds. */
  get heldByCurrentSession(): string[] {
    return this.uploads.slice(this.uploadsAtChange).flat();
  }

  override changeSession(): void {
    this.uploadsAtChange = this.uploads.length;
    super.changeSession();
  }

  override async *executeWithoutHooks(plan: Plan): AsyncGenerator<ExecutePlanResponse> {
    const pythonVer = probePythonVer(plan);
    if (pythonVer === undefined || this.probeAnswer === undefined) return yield* super.executeWithoutHooks(plan);
    this.probes.push(pythonVer);
    const answer = this.probeAnswer(pythonVer);
    if (answer instanceof Error) throw answer;
    yield arrowBatch(tableFromArrays({ value: [answer] }));
  }
}

/** The pythonVer of a Python-version probe job (worker/pyver.ts), or undefined for any other plan. */
function probePythonVer(plan: Plan): string | undefined {
  if (plan.opType.case !== "root" || plan.opType.value.relType.case !== "project") return undefined;
  const expr = plan.opType.value.relType.value.expressions[0]?.exprType;
  if (expr?.case !== "commonInlineUserDefinedFunction" || expr.value.functionName !== "python_version") return undefined;
  return expr.value.function.case === "pythonUdf" ? expr.value.function.value.pythonVer : undefined;
}

/** FakeDeps that runs `duringNextResolution` once, inside the next current() (where the real one runs a probe job). */
export class HookedDeps extends FakeDeps {
  duringNextResolution: (() => void) | undefined;
  override async current(): Promise<DepsResolution | undefined> {
    const during = this.duringNextResolution;
    this.duringNextResolution = undefined;
    during?.();
    return super.current();
  }
}
