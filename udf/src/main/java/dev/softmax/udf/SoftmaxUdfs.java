package dev.softmax.udf;

import dev.softmax.udf.kernel.Jacobian;
import dev.softmax.udf.kernel.RowKernels;
import dev.softmax.udf.kernel.Softmax;
import dev.softmax.udf.kernel.SoftmaxBackward;
import dev.softmax.udf.kernel.Temperature;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.UDFRegistration;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import scala.collection.Seq;

/**
 * The softmax functions as classic Spark UDFs, for {@code spark.udf()} and PySpark's {@code
 * spark.udf.registerJavaFunction}: {@code softmax}, {@code log_softmax}, {@code softmax_backward},
 * {@code softmax_backward_from_logits}, {@code log_softmax_backward} and {@code softmax_jacobian},
 * without the {@code nn.} prefix and without a temperature.
 *
 * <p>The slower path: Spark hands a classic UDF a Scala Seq of boxed numbers and boxes the result
 * again. They accept arrays of any numeric element type and return array&lt;double&gt;. Prefer the
 * {@link SoftmaxCatalog} functions ({@code nn.softmax}), which are code-generated and keep float as
 * float.
 */
public final class SoftmaxUdfs {
  private static final ArrayType VECTOR = DataTypes.createArrayType(DataTypes.DoubleType, false);
  private static final ArrayType MATRIX = DataTypes.createArrayType(VECTOR, false);

  private SoftmaxUdfs() {}

  /** Registers every function of this class under its SQL name in {@code spark}'s session. */
  public static void register(SparkSession spark) {
    UDFRegistration udf = spark.udf();
    udf.register("softmax", new SoftmaxUdf(), VECTOR);
    udf.register("log_softmax", new LogSoftmaxUdf(), VECTOR);
    udf.register("softmax_backward", new SoftmaxBackwardUdf(), VECTOR);
    udf.register("softmax_backward_from_logits", new SoftmaxBackwardFromLogitsUdf(), VECTOR);
    udf.register("log_softmax_backward", new LogSoftmaxBackwardUdf(), VECTOR);
    udf.register("softmax_jacobian", new SoftmaxJacobianUdf(), MATRIX);
  }

  /** The elements as doubles; null when the array or one of its elements is null. */
  static double[] doubles(Seq<?> seq) {
    if (seq == null) {
      return null;
    }
    double[] x = new double[seq.length()];
    for (int i = 0; i < x.length; i++) {
      Object v = seq.apply(i);
      if (v == null) {
        return null;
      }
      x[i] = ((Number) v).doubleValue();
    }
    return x;
  }

  private static double[] single(Seq<?> a, RowKernels.OfDouble kernel) {
    double[] x = doubles(a);
    if (x == null) {
      return null;
    }
    double[] out = new double[x.length];
    kernel.apply(x, Temperature.NONE, out);
    return out;
  }

  /** A backward kernel on two rows; its refusal (two lengths) gets the function's name in front. */
  private static double[] pair(
      String function, Seq<?> a, Seq<?> b, RowKernels.PairOfDouble kernel) {
    double[] x = doubles(a);
    double[] g = doubles(b);
    if (x == null || g == null) {
      return null;
    }
    double[] out = new double[x.length];
    try {
      kernel.apply(x, g, Temperature.NONE, out);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(function + ": " + e.getMessage(), e);
    }
    return out;
  }

  /** softmax(logits). */
  public static final class SoftmaxUdf implements UDF1<Seq<?>, double[]> {
    private static final long serialVersionUID = 1L;

    @Override
    public double[] call(Seq<?> logits) {
      return single(logits, Softmax::forward);
    }
  }

  /** log_softmax(logits). */
  public static final class LogSoftmaxUdf implements UDF1<Seq<?>, double[]> {
    private static final long serialVersionUID = 1L;

    @Override
    public double[] call(Seq<?> logits) {
      return single(logits, Softmax::logForward);
    }
  }

  /** softmax_backward(probs, grad). */
  public static final class SoftmaxBackwardUdf implements UDF2<Seq<?>, Seq<?>, double[]> {
    private static final long serialVersionUID = 1L;

    @Override
    public double[] call(Seq<?> probs, Seq<?> grad) {
      return pair("softmax_backward", probs, grad, SoftmaxBackward::fromProbs);
    }
  }

  /** softmax_backward_from_logits(logits, grad). */
  public static final class SoftmaxBackwardFromLogitsUdf implements UDF2<Seq<?>, Seq<?>, double[]> {
    private static final long serialVersionUID = 1L;

    @Override
    public double[] call(Seq<?> logits, Seq<?> grad) {
      return pair("softmax_backward_from_logits", logits, grad, SoftmaxBackward::fromLogits);
    }
  }

  /** log_softmax_backward(log_probs, grad). */
  public static final class LogSoftmaxBackwardUdf implements UDF2<Seq<?>, Seq<?>, double[]> {
    private static final long serialVersionUID = 1L;

    @Override
    public double[] call(Seq<?> logProbs, Seq<?> grad) {
      return pair("log_softmax_backward", logProbs, grad, SoftmaxBackward::fromLogProbs);
    }
  }

  /** softmax_jacobian(probs). */
  public static final class SoftmaxJacobianUdf implements UDF1<Seq<?>, double[][]> {
    private static final long serialVersionUID = 1L;

    @Override
    public double[][] call(Seq<?> probs) {
      double[] s = doubles(probs);
      if (s == null) {
        return null;
      }
      try {
        return Jacobian.of(s);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("softmax_jacobian: " + e.getMessage(), e);
      }
    }
  }
}
