package io.makeparallel.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.infinispan.protostream.ProtobufUtil;
import org.infinispan.protostream.SerializationContext;
import org.junit.jupiter.api.Test;

/** The carrier as it crosses the network: its ProtoStream encoding, and what a reader refuses. */
class CarrierTest {
  private static Carrier roundTrip(Carrier c) throws Exception {
    SerializationContext ctx = ProtobufUtil.newSerializationContext();
    Carrier.Schema schema = new Carrier.Schema();
    schema.registerSchema(ctx);
    schema.registerMarshallers(ctx);
    return ProtobufUtil.fromWrappedByteArray(ctx, ProtobufUtil.toWrappedByteArray(ctx, c));
  }

  @Test
  void aRunRequestAndItsReplyKeepEveryField() throws Exception {
    // Latin-1 text: every byte value of a pickle survives.
    String call = "\u0000\u0080\u00ff(lp0\n.";
    Carrier run = roundTrip(Carrier.run("127.0.0.1:7800", "task_9", 3, 5, call));
    assertEquals(Carrier.RUN, run.kind());
    assertEquals("127.0.0.1:7800", run.caller());
    assertEquals("task_9", run.task());
    assertEquals(3, run.attempt());
    assertEquals(5, run.permissions());
    assertEquals(call, run.text());

    Carrier failed = roundTrip(run.reply(Carrier.FAILED, "err-pickle", "builtins.KeyError", 0));
    assertEquals(Carrier.FAILED, failed.kind());
    assertEquals("task_9", failed.task());
    assertEquals(3, failed.attempt(), "a reply names the attempt it answers");
    assertEquals("err-pickle", failed.text());
    assertEquals("builtins.KeyError", failed.detail());
  }

  @Test
  void progressNamesItsCallAndCarriesTheExactFraction() throws Exception {
    Carrier run = Carrier.run("c", "task_1", 2, 0, "x");
    Carrier p = roundTrip(Carrier.progress(run, 1.0 / 3));
    assertEquals(Carrier.PROGRESS, p.kind());
    assertEquals("c", p.caller());
    assertEquals("task_1", p.task());
    assertEquals(2, p.attempt());
    assertEquals(1.0 / 3, p.fraction());
  }

  @Test
  void aProgressValueFromTheNetworkIsCheckedAsLocalOnesAre() throws Exception {
    Carrier run = Carrier.run("c", "t", 1, 0, "x");
    for (String bad : new String[] {"NaN", "Infinity", "-0.5", "1.5", "half", ""}) {
      Carrier forged = roundTrip(new Carrier(Carrier.PROGRESS, "c", "t", 1, 0, null, bad, 0));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, forged::fraction, bad);
      assertTrue(e.getMessage().contains("progress"), e.getMessage());
    }
    assertEquals(0.0, roundTrip(Carrier.progress(run, 0.0)).fraction());
  }
}
