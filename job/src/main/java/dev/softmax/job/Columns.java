package dev.softmax.job;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.functions;

/**
 * Columns named as users write them in options: a name is always a top-level column's whole name,
 * dots, spaces and backticks included ({@code model.logits} is the column of that name, never field
 * {@code logits} of a struct {@code model}). {@link functions#col} parses its argument as a path,
 * so every reference the job builds from a user's name goes through {@link #named}.
 */
final class Columns {
  private Columns() {}

  /** The top-level column {@code name}, quoted for Spark's parser (backticks doubled). */
  static Column named(String name) {
    return functions.col("`" + name.replace("`", "``") + "`");
  }
}
