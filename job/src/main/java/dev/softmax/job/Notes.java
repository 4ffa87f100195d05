package dev.softmax.job;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * What a run decided or repaired for the user (an output restored, a reader chosen, a column
 * replaced): each note is printed as one console line when it is made, even when the run then
 * stops, and the summary lists them all.
 */
final class Notes {
  private final String command;
  private final PrintWriter err;
  private final List<String> all = new ArrayList<>();

  Notes(String command, PrintWriter err) {
    this.command = command;
    this.err = err;
  }

  synchronized void add(String note) {
    all.add(note);
    err.println("softmax " + command + ": note: " + note);
    err.flush();
  }

  synchronized List<String> all() {
    return List.copyOf(all);
  }
}
