package io.makeparallel.daemon;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;

/**
 * A run's stdin on the daemon: asks the client for bytes only when the run reads and nothing
 * is buffered ({@link Frames#STDIN_WANTED}), so the client never reads input the program does
 * not (what a script leaves unread stays on the terminal or pipe) and memory stays bounded.
 * Thread-safe: guest threads read, the session's reader thread {@link #supply supplies}.
 */
final class StdinRelay extends InputStream {
  private final Session session;
  private byte[] buf = new byte[0];
  private int pos;
  private boolean eof;
  private boolean asked;

  StdinRelay(Session session) {
    this.session = session;
  }

  /** Bytes from the client; empty or null is end of input (null: the client is gone). */
  synchronized void supply(byte[] data) {
    asked = false;
    if (data == null || data.length == 0) {
      eof = true;
    } else {
      buf = data;
      pos = 0;
    }
    notifyAll();
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n <= 0 ? -1 : one[0] & 0xFF;
  }

  @Override
  public synchronized int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    while (pos >= buf.length) {
      if (eof || session.clientGone()) {
        return -1;
      }
      if (!asked) {
        asked = true;
        session.enqueue(new Frames.Frame(Frames.STDIN_WANTED, Frames.ofInt(len)));
      }
      try {
        wait(200); // bounded, so a client that vanished without a frame is noticed
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("run cancelled while reading stdin");
      }
    }
    int n = Math.min(len, buf.length - pos);
    System.arraycopy(buf, pos, b, off, n);
    pos += n;
    return n;
  }

  @Override
  public synchronized int available() {
    return buf.length - pos;
  }
}
