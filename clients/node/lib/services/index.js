'use strict';
// One wrapper per gRPC service. Adding a service: a file here extending Service, one line below
// (the property name on Client), and its methods in ../index.d.ts.
module.exports = {
  definitions: require('./definitions'),
  instances: require('./instances'),
  tasks: require('./tasks'),
  jobs: require('./jobs'),
  incidents: require('./incidents'),
  notifications: require('./notifications'),
  admin: require('./admin'),
  workforce: require('./workforce'),
  plugins: require('./plugins'),
  recruitment: require('./recruitment'),
  reviews: require('./reviews'),
  principals: require('./principals'),
};
