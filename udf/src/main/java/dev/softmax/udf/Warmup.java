package dev.softmax.udf;

import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.parser.CatalystSqlParser$;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.connector.catalog.functions.ScalarFunction;
import org.apache.spark.sql.execution.vectorized.OnHeapColumnVector;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.vectorized.ColumnarArray;

/**
 * Runs functions on synthetic rows of float32, results discarded, so that a fresh JVM has compiled
 * their paths (Spark's SQL parser, which reads their qualified names; the row copies, the checks
 * and the Vector API kernels, which run tens of times slower until C2 compiles them) before the
 * first real rows arrive. A launcher does this on a background thread while Spark starts: in local
 * mode the executors are threads of the same JVM. Without it a fresh JVM spends about a third of a
 * second per function on its first rows (docs/performance.md, "Where a forward job's time goes").
 *
 * <p>The rows alternate between the two kinds of Spark array a query hands the functions (the
 * columnar reader's and an {@link UnsafeArrayData}), so the compiled code expects both.
 */
public final class Warmup {
  /** Elements of the first synthetic row: a common width, and enough for every vector loop. */
  static final int WIDTH = 256;

  /**
   * The rows grow by one element every this many rows (256 to 568 over {@link #ROWS}). C2 compiles
   * only the branches its profile saw taken, and throws the whole compiled kernel away the first
   * time another one is. With rows of one width, a multiple of the vector lanes, the scalar tails
   * and the growth of a thread's scratch row never ran: the first row of each executor thread
   * (whose scratch row is new) threw the kernel away, and it ran compiled by C1, where the Vector
   * API takes its Java fallback, tens of times slower, until C2 had compiled it again
   * (docs/performance.md).
   */
  static final int ROWS_PER_WIDTH = 64;

  /** Rows per function: past the JIT's thresholds for the invoke and for its kernels' loops. */
  static final int ROWS = 20_000;

  private Warmup() {}

  /** Starts {@link #run} on a daemon thread, which ends when it is done. */
  public static Thread inBackground(List<SqlFunction> functions) {
    Thread thread =
        new Thread(
            () -> {
              try {
                run(functions, ROWS);
              } catch (RuntimeException e) {
                // costs only time: the run's own calls of these functions report what is wrong
              }
            },
            "softmax-warmup");
    thread.setDaemon(true);
    thread.start();
    return thread;
  }

  /**
   * Parses each function's qualified name as {@link SqlFunction#call} has Spark do, then calls it
   * on {@code rows} rows of float32 (a function of two arrays gets the same row twice). For the
   * functions whose arguments are arrays alone: the job's forward and backward functions and the
   * checks.
   */
  public static void run(List<SqlFunction> functions, int rows) {
    for (SqlFunction f : functions) {
      CatalystSqlParser$.MODULE$.parseMultipartIdentifier(f.qualifiedName());
    }
    ArrayType type = new ArrayType(DataTypes.FloatType, false);
    for (SqlFunction f : functions) {
      // the checks take one array and are not checked themselves
      int arrays = Math.max(1, f.argumentChecks().size());
      StructField[] fields = new StructField[arrays];
      for (int i = 0; i < arrays; i++) {
        fields[i] = new StructField("a" + i, type, true, Metadata.empty());
      }
      ScalarFunction<?> bound = (ScalarFunction<?>) f.function().bind(new StructType(fields));
      InternalRow[] inputs = new InternalRow[0];
      for (int r = 0; r < rows; r++) {
        if (r % ROWS_PER_WIDTH == 0) {
          ArrayData[] kinds = arrays(WIDTH + r / ROWS_PER_WIDTH);
          inputs = new InternalRow[kinds.length];
          for (int k = 0; k < kinds.length; k++) {
            Object[] args = new Object[arrays];
            Arrays.fill(args, kinds[k]);
            inputs[k] = new GenericInternalRow(args);
          }
        }
        bound.produceResult(inputs[r % inputs.length]);
      }
    }
  }

  /**
   * A good row (finite, not all masked) as each kind of Spark array: the columnar reader's (an
   * on-heap vector, which needs no closing) and an {@link UnsafeArrayData}.
   */
  static ArrayData[] arrays(int width) {
    float[] values = new float[width];
    for (int i = 0; i < width; i++) {
      values[i] = (float) (3 * Math.sin(0.37 * i));
    }
    OnHeapColumnVector column = new OnHeapColumnVector(width, DataTypes.FloatType);
    column.putFloats(0, width, values, 0);
    return new ArrayData[] {
      new ColumnarArray(column, 0, width), UnsafeArrayData.fromPrimitiveArray(values)
    };
  }
}
