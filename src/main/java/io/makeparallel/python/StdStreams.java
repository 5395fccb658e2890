package io.makeparallel.python;

import java.io.InputStream;
import java.io.OutputStream;

/**
 * The standard streams of one warm-daemon run: its context, its worker interpreters and the
 * subprocesses they start with inherited stdio all read and write these instead of the daemon
 * process's own (a log file). Compared by identity inside {@link ContextPolicy}. Immutable.
 */
record StdStreams(InputStream in, OutputStream out, OutputStream err) {}
