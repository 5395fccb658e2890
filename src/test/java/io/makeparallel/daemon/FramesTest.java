package io.makeparallel.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Issue 10: the daemon's frame format round-trips and rejects malformed input. */
class FramesTest {
  @Test
  void framesAndFieldsRoundTrip() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] hello = new Frames.Writer().putInt(Frames.VERSION).put("k€y").put(List.of("a", "", "ü=1")).toBytes();
    Frames.write(out, Frames.HELLO, hello);
    Frames.write(out, Frames.EXIT, Frames.ofInt(130));
    ByteArrayInputStream in = new ByteArrayInputStream(out.toByteArray());
    Frames.Frame f = Frames.read(in);
    assertEquals(Frames.HELLO, f.type());
    Frames.Reader r = new Frames.Reader(f.payload());
    assertEquals(Frames.VERSION, r.getInt());
    assertEquals("k€y", r.getString());
    assertEquals(List.of("a", "", "ü=1"), r.getList());
    Frames.Frame exit = Frames.read(in);
    assertEquals(130, exit.asInt());
    assertNull(Frames.read(in));
  }

  @Test
  void malformedInputIsAnIOException() {
    byte[] huge = {'O', 0x7f, 0, 0, 0};
    assertThrows(IOException.class, () -> Frames.read(new ByteArrayInputStream(huge)));
    byte[] cut = {'O', 0, 0, 0, 4, 1};
    assertThrows(IOException.class, () -> Frames.read(new ByteArrayInputStream(cut)));
    Frames.Reader r = new Frames.Reader(new byte[] {0, 0, 0, 9, 'a'});
    assertThrows(IOException.class, r::getString);
    assertArrayEquals(new byte[0], new Frames.Frame(Frames.STDIN, new byte[0]).payload());
  }
}
