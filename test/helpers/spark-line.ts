// Which Spark line the current vitest project runs on (test/setup/*.ts provide sparkVersion).
// The spark35 project runs the client and auto-bundle suites again on Spark 3.5, but only the cases
// where 3.5 differs or is likely to (protocol, artifacts, session ids, errors, workers): the rest test
// the client's own logic a second time at the cost of Spark jobs. Those are marked
// `it.skipIf(onSpark35)` and still run on 4.x.
import { inject } from "vitest";

export const onSpark35: boolean = inject("sparkVersion").startsWith("3.");
