package io.makeparallel.lincheck;

import io.makeparallel.policy.AdmissionGate;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Linearizability of the admission gate's non-blocking operations under the model checker:
 * forced acquisitions, releases and limit changes must behave like some sequential order.
 * Runs in the {@code stress} profile.
 */
@Tag("stress")
public class AdmissionGateLincheckTest {
  private final AdmissionGate gate = new AdmissionGate();

  @Operation
  public void acquireForced() throws InterruptedException {
    gate.acquire(true);
  }

  @Operation
  public void release() {
    gate.release();
  }

  @Operation
  public int inUse() {
    return gate.inUse();
  }

  @Operation
  public void setLimit(boolean unlimited) {
    gate.setLimit(unlimited ? null : 2);
  }

  @Operation
  public Integer limit() {
    return gate.limit();
  }

  @Test
  void linearizable() {
    new ModelCheckingOptions().iterations(10).invocationsPerIteration(200)
        .check(AdmissionGateLincheckTest.class);
  }
}
