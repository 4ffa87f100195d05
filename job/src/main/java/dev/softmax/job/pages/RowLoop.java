package dev.softmax.job.pages;

import java.io.IOException;
import java.util.List;

/**
 * One row at a time from the input columns' readers, through the {@link RowFunction}, into the
 * output's pages: the output row is reused while rows keep their width.
 */
final class RowLoop {
  private final RowFunction function;
  private final boolean floats;
  private float[] floatOut = new float[0];
  private double[] doubleOut = new double[0];

  RowLoop(RowFunction function, boolean floats) {
    this.function = function;
    this.floats = floats;
  }

  /** Reads one row of each of {@code sources} and writes its outputs into {@code sink}. */
  void next(List<ListSource> sources, ListPages sink) throws IOException {
    if (floats) {
      float[] z = sources.get(0).nextFloats();
      if (floatOut.length != z.length) {
        floatOut = new float[z.length];
      }
      if (sources.size() == 1) {
        function.apply(z, floatOut);
      } else {
        function.apply(z, sources.get(1).nextFloats(), floatOut);
      }
      sink.add(floatOut);
    } else {
      double[] z = sources.get(0).nextDoubles();
      if (doubleOut.length != z.length) {
        doubleOut = new double[z.length];
      }
      if (sources.size() == 1) {
        function.apply(z, doubleOut);
      } else {
        function.apply(z, sources.get(1).nextDoubles(), doubleOut);
      }
      sink.add(doubleOut);
    }
  }
}
