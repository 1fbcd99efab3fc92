import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Table, tableToIPC } from "apache-arrow";
import {
  AnalyzePlanResponseSchema,
  ExecutePlanResponseSchema,
  type AnalyzePlanResponse,
  type ExecutePlanResponse,
  type Plan,
} from "../../src/gen/spark/connect/base_pb.js";
import type { AnalyzeInit } from "../../src/connect/rpc/client.js";
import type { SessionCore } from "../../src/connect/core.js";

/**
 * A SessionCore with no server: it records the plans and analyses it is given and answers with the
 * responses a test queues. Plan ids count from 0, so tests can state them.
 */
export class RecordingCore implements SessionCore {
  readonly executed: Plan[] = [];
  readonly analyzed: AnalyzeInit[] = [];
  private ids = 0n;
  private readonly executeAnswers: ExecutePlanResponse[][] = [];
  private readonly analyzeAnswers: AnalyzePlanResponse[] = [];

  nextPlanId(): bigint {
    return this.ids++;
  }

  /** The next execute() yields one Arrow batch holding `table` (none for an empty list). */
  answerWithTable(table: Table | null): void {
    this.executeAnswers.push(table === null ? [] : [arrowBatch(table)]);
  }

  answerWith(...responses: ExecutePlanResponse[]): void {
    this.executeAnswers.push(responses);
  }

  answerAnalyze(result: Exclude<MessageInitShape<typeof AnalyzePlanResponseSchema>, AnalyzePlanResponse>["result"]): void {
    this.analyzeAnswers.push(create(AnalyzePlanResponseSchema, { result }));
  }

  async *execute(plan: Plan): AsyncGenerator<ExecutePlanResponse> {
    this.executed.push(plan);
    for (const response of this.executeAnswers.shift() ?? []) yield response;
  }

  async analyze(analyze: AnalyzeInit): Promise<AnalyzePlanResponse> {
    this.analyzed.push(analyze);
    const answer = this.analyzeAnswers.shift();
    if (!answer) throw new Error("RecordingCore: no analyze answer queued");
    return answer;
  }
}

export function arrowBatch(table: Table): ExecutePlanResponse {
  return create(ExecutePlanResponseSchema, {
    responseType: { case: "arrowBatch", value: { rowCount: BigInt(table.numRows), data: tableToIPC(table, "stream") } },
  });
}
