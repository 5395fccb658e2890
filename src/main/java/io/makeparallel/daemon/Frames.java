package io.makeparallel.daemon;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The daemon's wire format: a frame is one type byte, a 4-byte big-endian payload length and the
 * payload. Strings inside a payload are a 4-byte length and UTF-8 bytes. No Java serialization:
 * a peer can only ever send bytes that are parsed as exactly these fields.
 *
 * <p>Uses JDK classes only (the client loads it on a tiny class path). Static helpers; a
 * {@link Frame} is immutable. Reading and writing one stream from two threads needs outside
 * locking.
 */
public final class Frames {
  /** Protocol version in {@link #HELLO}; a daemon refuses any other. */
  public static final int VERSION = 1;
  /** Largest payload accepted: a frame claiming more is a broken or hostile peer. */
  public static final int MAX_PAYLOAD = 64 << 20;

  // client -> daemon
  /** Run request: version, key, cwd, terminals, argv list, environment list ("K=V"). */
  public static final byte HELLO = 'H';
  /** Bytes of the client's stdin; an empty payload is end of file. */
  public static final byte STDIN = 'I';
  /** Ctrl-C: cancel the run. */
  public static final byte INTERRUPT = 'C';
  /** Control: describe yourself ({@link #TEXT} answer). */
  public static final byte STATUS = 'S';
  /** Control: stop now ({@link #TEXT} answer, then the daemon exits). */
  public static final byte STOP = 'K';

  // daemon -> client
  /** The run starts. */
  public static final byte ACCEPTED = 'A';
  /** No run: reason text; the client runs cold. */
  public static final byte REFUSED = 'R';
  /** Bytes for the client's stdout. */
  public static final byte STDOUT = 'O';
  /** Bytes for the client's stderr. */
  public static final byte STDERR = 'E';
  /** The run wants stdin: payload is the most bytes it takes now (4-byte int). */
  public static final byte STDIN_WANTED = 'Q';
  /** The run ended: payload is the exit status (4-byte int). */
  public static final byte EXIT = 'X';
  /** A line of text answering a control frame. */
  public static final byte TEXT = 'T';

  private Frames() {}

  /** One frame as read. */
  public record Frame(byte type, byte[] payload) {
    /** The payload as one 4-byte int. */
    public int asInt() {
      if (payload.length != 4) {
        throw new IllegalArgumentException("frame '" + (char) type + "' carries " + payload.length
            + " bytes, not an int");
      }
      return ByteBuffer.wrap(payload).getInt();
    }

    /** The payload as UTF-8 text. */
    public String asText() {
      return new String(payload, StandardCharsets.UTF_8);
    }
  }

  /** Writes one frame and flushes. */
  public static void write(OutputStream out, byte type, byte[] payload, int off, int len) throws IOException {
    byte[] head = ByteBuffer.allocate(5).put(type).putInt(len).array();
    out.write(head);
    out.write(payload, off, len);
    out.flush();
  }

  public static void write(OutputStream out, byte type, byte[] payload) throws IOException {
    write(out, type, payload, 0, payload.length);
  }

  public static byte[] ofInt(int v) {
    return ByteBuffer.allocate(4).putInt(v).array();
  }

  public static byte[] ofText(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The channel as an input stream. Not {@code Channels.newInputStream}: on JDK 17 its reads hold
   * the channel's blocking lock, so a blocked read stops every write from another thread (the
   * stdin relay and Ctrl-C both write while a reader waits).
   */
  public static InputStream input(SocketChannel ch) {
    return new InputStream() {
      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) <= 0 ? -1 : one[0] & 0xFF;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return len == 0 ? 0 : ch.read(ByteBuffer.wrap(b, off, len));
      }
    };
  }

  /** The channel as an output stream (see {@link #input} for why not {@code Channels}). */
  public static OutputStream output(SocketChannel ch) {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(b, off, len);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
      }
    };
  }

  /** Reads one frame; null at a clean end of stream (between frames). */
  public static Frame read(InputStream in) throws IOException {
    int type = in.read();
    if (type < 0) {
      return null;
    }
    DataInputStream d = new DataInputStream(in);
    int len = d.readInt();
    if (len < 0 || len > MAX_PAYLOAD) {
      throw new IOException("frame '" + (char) type + "' claims " + len + " bytes");
    }
    byte[] p = new byte[len];
    d.readFully(p);
    return new Frame((byte) type, p);
  }

  /** Encodes strings and string lists into one payload, in order. */
  public static final class Writer {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final DataOutputStream out = new DataOutputStream(bytes);

    public Writer putInt(int v) {
      try {
        out.writeInt(v);
      } catch (IOException e) {
        throw new IllegalStateException(e); // a byte array never fails
      }
      return this;
    }

    public Writer put(String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      putInt(b.length);
      bytes.write(b, 0, b.length);
      return this;
    }

    public Writer put(List<String> list) {
      putInt(list.size());
      for (String s : list) {
        put(s);
      }
      return this;
    }

    public byte[] toBytes() {
      return bytes.toByteArray();
    }
  }

  /** Decodes what a {@link Writer} wrote, in the same order; throws IOException when malformed. */
  public static final class Reader {
    private final ByteBuffer buf;

    public Reader(byte[] payload) {
      this.buf = ByteBuffer.wrap(payload);
    }

    public int getInt() throws IOException {
      if (buf.remaining() < 4) {
        throw new EOFException("payload ends inside an int");
      }
      return buf.getInt();
    }

    public String getString() throws IOException {
      int n = getInt();
      if (n < 0 || n > buf.remaining()) {
        throw new IOException("string of " + n + " bytes in a payload with " + buf.remaining() + " left");
      }
      byte[] b = new byte[n];
      buf.get(b);
      return new String(b, StandardCharsets.UTF_8);
    }

    public List<String> getList() throws IOException {
      int n = getInt();
      if (n < 0 || n > buf.remaining() / 4) {
        throw new IOException("list of " + n + " strings in a payload with " + buf.remaining() + " bytes left");
      }
      List<String> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        out.add(getString());
      }
      return out;
    }
  }
}
