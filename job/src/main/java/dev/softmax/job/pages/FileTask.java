package dev.softmax.job.pages;

import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * One task of the page path: rewrite input file {@code file} into the directory {@code
 * partitionDir} (relative to the output, "" for none), with the columns {@code columns} in this
 * order (the input's kept columns by name and the computed one), {@code function} computing the
 * computed one; whether the output list and its elements may be null (as Spark's schema of the
 * output has them); and {@code metadata} for the footer (Spark's schema of the columns among it).
 */
record FileTask(
    String file,
    String partitionDir,
    List<String> columns,
    boolean outputOptional,
    boolean outputElementOptional,
    RowFunction function,
    Map<String, String> metadata)
    implements Serializable {
  private static final long serialVersionUID = 1L;
}
