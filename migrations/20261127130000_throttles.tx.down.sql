DROP TABLE throttle_buckets;
DROP TABLE throttle_marks;
