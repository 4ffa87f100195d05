package dev.softmax.job.arrow;

import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.ArrowUtils;

/** Arrow schemas as Spark schemas: Spark's mapping, plus every list kind of float and double. */
final class ArrowSchemas {
  private ArrowSchemas() {}

  static StructType toSpark(Schema schema, Path file) {
    StructType spark = new StructType();
    for (Field f : schema.getFields()) {
      spark =
          spark.add(new StructField(f.getName(), type(f, file), f.isNullable(), Metadata.empty()));
    }
    return spark;
  }

  private static DataType type(Field f, Path file) {
    ArrowType t = f.getType();
    boolean listLike =
        t instanceof ArrowType.List
            || t instanceof ArrowType.LargeList
            || t instanceof ArrowType.FixedSizeList;
    if (listLike
        && f.getChildren().size() == 1
        && f.getChildren().get(0).getType() instanceof ArrowType.FloatingPoint fp) {
      DataType element =
          switch (fp.getPrecision()) {
            case SINGLE -> DataTypes.FloatType;
            case DOUBLE -> DataTypes.DoubleType;
            case HALF ->
                throw new ArrowInputException(
                    file,
                    "column "
                        + f.getName()
                        + " holds half-precision floats;"
                        + " convert them to float32");
          };
      return new ArrayType(element, f.getChildren().get(0).isNullable());
    }
    try {
      return ArrowUtils.fromArrowField(f);
    } catch (RuntimeException e) {
      throw new ArrowInputException(
          file,
          "column "
              + f.getName()
              + " has Arrow type "
              + t
              + ", which this reader does not support");
    }
  }
}
