package dev.softmax.udf.functions;

import dev.softmax.udf.SoftmaxCatalog;
import dev.softmax.udf.kernel.Jacobian;
import java.util.Arrays;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.sql.connector.catalog.functions.BoundFunction;
import org.apache.spark.sql.connector.catalog.functions.UnboundFunction;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.StructType;

/**
 * The explicit L x L softmax Jacobian {@code diag(S) - S S^T}: {@code SELECT
 * nn.softmax_jacobian(probs)}. For inspection and teaching; use {@code nn.softmax_backward} for J^T
 * g. Rows wider than {@link Jacobian#MAX_WIDTH} are an error.
 */
public final class SoftmaxJacobianFunction implements UnboundFunction {
  static final String NAME = "softmax_jacobian";
  private static final String FUNCTION = SoftmaxCatalog.DEFAULT_NAME + "." + NAME;
  private static final String USAGE = FUNCTION + "(probs)";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return USAGE
        + " - the Jacobian J[i][j] = S_i * (delta_ij - S_j) as an array of L rows\n"
        + "  probs: S, array<float> or array<double> of at most "
        + Jacobian.MAX_WIDTH
        + " elements";
  }

  @Override
  public BoundFunction bind(StructType input) {
    Signature.arity(USAGE, input, 1, 1);
    ArrayType probs = Signature.floatingArray(USAGE, input, 0, "probs");
    return Signature.isFloat(probs) ? new OnFloats(probs) : new OnDoubles(probs);
  }

  private static ArrayType resultOf(ArrayType probs) {
    return new ArrayType(Signature.resultOf(probs), false);
  }

  private static void checkWidth(int width) {
    try {
      Jacobian.checkWidth(width);
    } catch (IllegalArgumentException e) {
      throw ArrayRows.named(FUNCTION, e);
    }
  }

  /** nn.softmax_jacobian(array&lt;float&gt;). */
  public static final class OnFloats extends SoftmaxBoundFunction<ArrayData> {
    OnFloats(ArrayType probs) {
      super(NAME, row -> invoke(array(row, 0)), resultOf(probs), probs);
    }

    // magic method used in codegen
    public static ArrayData invoke(ArrayData probs) {
      float[] s = ArrayRows.floats(probs);
      if (s == null) {
        return null;
      }
      checkWidth(s.length);
      float[][] j = Jacobian.of(s);
      return new GenericArrayData(Arrays.stream(j).map(ArrayRows::of).toArray());
    }
  }

  /** nn.softmax_jacobian(array&lt;double&gt;). */
  public static final class OnDoubles extends SoftmaxBoundFunction<ArrayData> {
    OnDoubles(ArrayType probs) {
      super(NAME, row -> invoke(array(row, 0)), resultOf(probs), probs);
    }

    // magic method used in codegen
    public static ArrayData invoke(ArrayData probs) {
      double[] s = ArrayRows.doubles(probs);
      if (s == null) {
        return null;
      }
      checkWidth(s.length);
      double[][] j = Jacobian.of(s);
      return new GenericArrayData(Arrays.stream(j).map(ArrayRows::of).toArray());
    }
  }
}
