package io.makeparallel.cluster;

/**
 * What a member does with the requests it receives: runs a call and replies with its outcome
 * (blocking the calling thread until then), cancels a call it is running, tells its capacity.
 * Implementations are thread-safe: requests arrive on many threads at once.
 */
@FunctionalInterface
public interface CarrierHandler {
  /**
   * Answers {@code request}, which arrived on {@code node}: messages the answer needs to send
   * before it is ready (a call's progress to its caller) go out through that node. Never throws
   * (a failure is a reply).
   */
  Carrier handle(Carrier request, ClusterNode node);
}
