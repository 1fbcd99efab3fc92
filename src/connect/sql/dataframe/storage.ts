import { create } from "@bufbuild/protobuf";
import {
  AnalyzePlanRequest_GetStorageLevelSchema,
  AnalyzePlanRequest_PersistSchema,
  AnalyzePlanRequest_UnpersistSchema,
} from "../../../gen/spark/connect/base_pb.js";
import { StorageLevelSchema, type StorageLevel as StorageLevelProto } from "../../../gen/spark/connect/common_pb.js";
import type { Relation } from "../../../gen/spark/connect/relations_pb.js";
import type { SessionCore } from "../../core.js";
import { SparkConnectError } from "../../errors.js";
import { commandResponses, requireServerVersion } from "../plans.js";
import { expectResult } from "./show.js";

/** How cached data is kept (pyspark's StorageLevel, with its constants). Compare with `equals`. */
export class StorageLevel {
  static readonly NONE = new StorageLevel(false, false, false, false);
  static readonly DISK_ONLY = new StorageLevel(true, false, false, false);
  static readonly DISK_ONLY_2 = new StorageLevel(true, false, false, false, 2);
  static readonly DISK_ONLY_3 = new StorageLevel(true, false, false, false, 3);
  static readonly MEMORY_ONLY = new StorageLevel(false, true, false, false);
  static readonly MEMORY_ONLY_2 = new StorageLevel(false, true, false, false, 2);
  static readonly MEMORY_AND_DISK = new StorageLevel(true, true, false, false);
  static readonly MEMORY_AND_DISK_2 = new StorageLevel(true, true, false, false, 2);
  static readonly OFF_HEAP = new StorageLevel(true, true, true, false, 1);
  static readonly MEMORY_AND_DISK_DESER = new StorageLevel(true, true, false, true);

  constructor(
    readonly useDisk: boolean,
    readonly useMemory: boolean,
    readonly useOffHeap: boolean,
    readonly deserialized: boolean,
    readonly replication = 1,
  ) {
    for (const [name, v] of Object.entries({ useDisk, useMemory, useOffHeap, deserialized })) {
      if (typeof v !== "boolean") throw new TypeError(`new StorageLevel(): ${name} must be a boolean, got ${String(v)}.`);
    }
    if (!Number.isInteger(replication) || replication < 1) throw new RangeError(`new StorageLevel(): replication must be a positive integer, got ${replication}.`);
  }

  equals(other: StorageLevel): boolean {
    return (
      other instanceof StorageLevel &&
      other.useDisk === this.useDisk &&
      other.useMemory === this.useMemory &&
      other.useOffHeap === this.useOffHeap &&
      other.deserialized === this.deserialized &&
      other.replication === this.replication
    );
  }

  /** pyspark's str(): "Disk Memory Deserialized 1x Replicated". */
  toString(): string {
    const parts = [this.useDisk && "Disk", this.useMemory && "Memory", this.useOffHeap && "OffHeap", this.deserialized ? "Deserialized" : "Serialized"];
    return `${parts.filter(Boolean).join(" ")} ${this.replication}x Replicated`;
  }

  /** @internal */
  toProto(): StorageLevelProto {
    return create(StorageLevelSchema, { ...this });
  }

  /** @internal */
  static fromProto(p: StorageLevelProto): StorageLevel {
    return new StorageLevel(p.useDisk, p.useMemory, p.useOffHeap, p.deserialized, p.replication);
  }
}

function requireLevel(what: string, level: unknown): StorageLevel {
  if (!(level instanceof StorageLevel)) throw new TypeError(`${what}: pass a StorageLevel such as StorageLevel.MEMORY_AND_DISK, got ${String(level)}.`);
  return level;
}

/** df.persist(): an AnalyzePlan call, as in pyspark; the data is cached by the next job that uses it. */
export async function persist(core: SessionCore, relation: Relation, level: StorageLevel): Promise<void> {
  const storageLevel = requireLevel("persist(storageLevel)", level).toProto();
  await core.analyze({ case: "persist", value: create(AnalyzePlanRequest_PersistSchema, { relation, storageLevel }) });
}

export async function unpersist(core: SessionCore, relation: Relation, blocking: boolean): Promise<void> {
  if (typeof blocking !== "boolean") throw new TypeError(`unpersist(blocking) must be a boolean, got ${String(blocking)}.`);
  await core.analyze({ case: "unpersist", value: create(AnalyzePlanRequest_UnpersistSchema, { relation, blocking }) });
}

export async function storageLevelOf(core: SessionCore, relation: Relation): Promise<StorageLevel> {
  const response = await core.analyze({ case: "getStorageLevel", value: create(AnalyzePlanRequest_GetStorageLevelSchema, { relation }) });
  const level = expectResult(response, "getStorageLevel").storageLevel;
  if (!level) throw new SparkConnectError("AnalyzePlan(getStorageLevel) returned no storage level.");
  return StorageLevel.fromProto(level);
}

/**
 * checkpoint() / localCheckpoint(): the server saves the data and answers with the id of a relation reading
 * it (a CachedRemoteRelation), so later plans don't recompute the lineage, as pyspark returns it.
 */
export async function checkpoint(core: SessionCore, relation: Relation, local: boolean, eager: boolean, level?: StorageLevel): Promise<string> {
  const what = local ? "localCheckpoint()" : "checkpoint()";
  if (typeof eager !== "boolean") throw new TypeError(`${what}: eager must be a boolean, got ${String(eager)}.`);
  requireServerVersion(core, "4.0", what);
  const storageLevel = level === undefined ? undefined : requireLevel(`${what} storageLevel`, level).toProto();
  const responses = await commandResponses(core, { case: "checkpointCommand", value: { relation, local, eager, storageLevel } });
  for (const response of responses) {
    if (response.responseType.case !== "checkpointCommandResult") continue;
    const relationId = response.responseType.value.relation?.relationId;
    if (relationId) return relationId;
  }
  throw new SparkConnectError(`The server answered ${what} without naming the checkpointed relation.`);
}
