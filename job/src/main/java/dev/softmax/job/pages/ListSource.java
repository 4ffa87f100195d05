package dev.softmax.job.pages;

/**
 * The rows of one column chunk of a list column, one at a time: each an array that the source may
 * reuse for a later row. A row that is null, empty or holds a null element is refused as the
 * checked function refuses it.
 */
interface ListSource {
  float[] nextFloats();

  double[] nextDoubles();
}
