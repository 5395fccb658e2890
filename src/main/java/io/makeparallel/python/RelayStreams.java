package io.makeparallel.python;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Standard streams whose far end is chosen later: a standby context is built before anyone
 * knows which client will run in it, and is {@link #bind bound} to that client's streams when
 * its run starts. Until then reads see end of input and writes are dropped. Thread-safe.
 */
final class RelayStreams {
  private volatile InputStream in = InputStream.nullInputStream();
  private volatile OutputStream out = OutputStream.nullOutputStream();
  private volatile OutputStream err = OutputStream.nullOutputStream();

  void bind(InputStream newIn, OutputStream newOut, OutputStream newErr) {
    in = newIn;
    out = newOut;
    err = newErr;
  }

  StdStreams streams() {
    return new StdStreams(new In(), new Out(false), new Out(true));
  }

  private final class In extends InputStream {
    @Override public int read() throws IOException { return in.read(); }
    @Override public int read(byte[] b, int off, int len) throws IOException { return in.read(b, off, len); }
    @Override public int available() throws IOException { return in.available(); }
  }

  private final class Out extends OutputStream {
    private final boolean isErr;

    Out(boolean isErr) {
      this.isErr = isErr;
    }

    private OutputStream target() {
      return isErr ? err : out;
    }

    @Override public void write(int b) throws IOException { target().write(b); }
    @Override public void write(byte[] b, int off, int len) throws IOException { target().write(b, off, len); }
    @Override public void flush() throws IOException { target().flush(); }
  }
}
