package dev.softmax.udf.bench;

import dev.softmax.udf.functions.CheckFunction;
import dev.softmax.udf.functions.LogSoftmaxFunction;
import dev.softmax.udf.functions.SoftmaxFunction;
import dev.softmax.udf.kernel.Softmax;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.execution.vectorized.OnHeapColumnVector;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.vectorized.ColumnarArray;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * JMH: one float row through what the forward job runs per row, beyond the kernel: the row check
 * ({@code nn.check_logits}) and the SQL function's binding (null scan, copy out of Spark's array,
 * kernel, copy back), on the two arrays Spark hands a function: a {@link ColumnarArray} (straight
 * from the vectorized Parquet reader) and an {@link UnsafeArrayData} (from a row). Scores are ns
 * per row; {@link KernelBench} divides by L.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class BindingBenchmark {
  @Param({"256", "4096"})
  public int width;

  private ArrayData columnar;
  private ArrayData unsafe;
  private float[] row;
  private float[] out;

  @Setup
  public void setUp() {
    Random r = new Random(width);
    row = new float[width];
    for (int i = 0; i < width; i++) {
      row[i] = (float) (3 * r.nextGaussian());
    }
    out = new float[width];
    // a batch of 4 rows, as the reader's child vector holds them; the array is the third
    OnHeapColumnVector v = new OnHeapColumnVector(4 * width, DataTypes.FloatType);
    for (int k = 0; k < 4; k++) {
      v.putFloats(k * width, width, row, 0);
    }
    columnar = new ColumnarArray(v, 2 * width, width);
    unsafe = UnsafeArrayData.fromPrimitiveArray(row);
  }

  @Benchmark
  public float[] kernelOnly() {
    Softmax.forward(row, 1.0, out);
    return out;
  }

  @Benchmark
  public Object checkColumnar() {
    return CheckFunction.FloatLogits.invoke(columnar);
  }

  @Benchmark
  public Object checkUnsafe() {
    return CheckFunction.FloatLogits.invoke(unsafe);
  }

  @Benchmark
  public ArrayData softmaxColumnar() {
    return SoftmaxFunction.OnFloats.invoke(columnar);
  }

  @Benchmark
  public ArrayData softmaxUnsafe() {
    return SoftmaxFunction.OnFloats.invoke(unsafe);
  }

  @Benchmark
  public ArrayData logSoftmaxColumnar() {
    return LogSoftmaxFunction.OnFloats.invoke(columnar);
  }
}
