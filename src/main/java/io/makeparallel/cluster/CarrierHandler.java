package io.makeparallel.cluster;

/**
 * What a member does with the requests it receives: runs a call and replies with its outcome
 * (blocking the calling thread until then), cancels a call it is running, tells its capacity.
 * Implementations are thread-safe: requests arrive on many threads at once.
 */
public interface CarrierHandler {
  /** Answers {@code request}; never throws (a failure is a reply). */
  Carrier handle(Carrier request);
}
